#include "tandem/testing/firmware_loader.h"

#include <fstream>
#include <iterator>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/elf/segment_loader.h"
#include "tandem/simulated_board/memory_map.h"

namespace tandem::linux_platform {
namespace {

// Writes segments into one region, by device address.
class RegionSink final : public elf::SegmentSink {
 public:
  explicit RegionSink(shm::Region region) : region_(region) {}
  Status Write(std::uint64_t da, ConstByteSpan data) override {
    TANDEM_TRY_ASSIGN(std::size_t offset, region_.Translate(da, data.size()));
    return region_.WriteBytes(offset, data);
  }
  Status Zero(std::uint64_t da, std::uint64_t length) override {
    TANDEM_TRY_ASSIGN(std::size_t offset, region_.Translate(da, length));
    return region_.Fill(offset, static_cast<std::size_t>(length), std::byte{0});
  }

 private:
  shm::Region region_;
};

Result<std::uint64_t> Load(shm::Region image, const std::vector<std::byte>& bytes) {
  TANDEM_TRY_ASSIGN(elf::ElfFile file,
                    elf::ElfFile::Parse(ConstByteSpan(bytes.data(), bytes.size())));
  TANDEM_TRY(file.CheckMachine(elf::kMachineX86_64));
  RegionSink sink(image);
  TANDEM_TRY(elf::LoadSegments(file, sink));
  return file.entry();
}

}  // namespace

Result<std::vector<std::byte>> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open file");
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  for (std::size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
  return bytes;
}

Result<std::uint64_t> LoadFirmwareImage(LinuxPlatform& platform, const std::string& elf_path) {
  TANDEM_TRY_ASSIGN(auto bytes, ReadWholeFile(elf_path));
  remoteproc::MemoryRequest request{simulated_board::kImageBase, simulated_board::kImageSize,
                                    simulated_board::kPageSize, "image"};
  TANDEM_TRY_ASSIGN(shm::Region image, platform.MapMemory(request));
  return Load(image, bytes);
}

Result<std::uint64_t> LoadFirmwareImage(SimulatedCore& core, const std::string& elf_path) {
  TANDEM_TRY_ASSIGN(auto bytes, ReadWholeFile(elf_path));
  TANDEM_TRY_ASSIGN(shm::Region image, core.AddRegion(simulated_board::kImageBase,
                                                      simulated_board::kImageSize, "image"));
  return Load(image, bytes);
}

}  // namespace tandem::linux_platform

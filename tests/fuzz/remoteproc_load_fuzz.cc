// Fuzz harness for RemoteProc over FakePlatform: firmware ELFs (inputs that
// start with the ELF magic) go through Load/Start/trace/coredump/crash and
// recovery/Stop; anything else is used as the resource table a running
// remote left in memory and goes through Attach/Detach. Nothing may crash,
// and nothing may be written outside the fake's device memory (its guard
// bytes stay intact) or handed out as a view outside it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tandem/base/assert.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rsc/rpmsg_config.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/test_firmware.h"

namespace {

using tandem::ConstByteSpan;
using tandem::Status;
using tandem::remoteproc::CoredumpWriter;
using tandem::remoteproc::CrashReason;
using tandem::remoteproc::Options;
using tandem::remoteproc::RemoteProc;
using tandem::remoteproc::VdevResources;
using tandem::remoteproc::testing::FakePlatform;
using tandem::remoteproc::testing::FakeVdevListener;

class CountingWriter final : public CoredumpWriter {
 public:
  Status Write(ConstByteSpan bytes) override {
    total += bytes.size();
    return tandem::OkStatus();
  }
  std::size_t total = 0;
};

// Every view RemoteProc hands out must be device memory of the fake.
void CheckInside(FakePlatform& platform, const tandem::shm::Region& r) {
  if (r.size() == 0) return;
  TANDEM_ASSERT(platform.At(r.device_address(), r.size()) == r.base());
}

void CheckViews(FakePlatform& platform, const RemoteProc& rproc) {
  for (const auto& m : rproc.mapped_regions()) CheckInside(platform, m.region);
  for (std::size_t i = 0; i < rproc.vdev_count(); ++i) {
    const VdevResources& v = *rproc.vdev(i);
    CheckInside(platform, v.vring[0].ring);
    CheckInside(platform, v.vring[1].ring);
    CheckInside(platform, v.buffers);
    TANDEM_ASSERT(v.buffers.size() == std::size_t{v.buffer_count} * v.buffer_size);
    // Negotiated or Linux's 512 (docs/buffers.md), never a size left unchecked.
    TANDEM_ASSERT(tandem::rsc::IsValidRpmsgBufferSize(v.buffer_size));
  }
}

void Exercise(FakePlatform& platform, RemoteProc& rproc) {
  CheckViews(platform, rproc);
  static std::array<char, 1 << 16> trace;
  rproc.ReadTrace(trace).status().IgnoreError();
  CountingWriter core;
  rproc.Coredump(core).IgnoreError();
  rproc.Kick(0).IgnoreError();
  for (std::size_t i = 0; i <= rproc.vdev_count(); ++i)
    rproc.ReadVdevStatus(i).status().IgnoreError();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One platform for all inputs (allocating its banks per input would
  // dominate the run time); ResetAll() gives every input a fresh board.
  static FakePlatform& platform = *new FakePlatform(/*sram_size=*/512 * 1024,
                                                    /*pool_size=*/256 * 1024);
  platform.ResetAll();
  FakeVdevListener listener;
  Options options;
  // The last byte picks the host's buffer-size policy: as the firmware asks
  // (the default), Linux's 512, or 2048 (docs/buffers.md).
  if (size > 0)
    options.rpmsg_buffer_size = std::array<std::uint32_t, 4>{0, 0, 512, 2048}[data[size - 1] % 4];
  RemoteProc rproc(platform, options, &listener);
  listener.rproc = &rproc;
  const ConstByteSpan input(reinterpret_cast<const std::byte*>(data), size);

  const bool is_elf = size >= 4 && std::memcmp(data,
                                               "\x7f"
                                               "ELF",
                                               4) == 0;
  if (is_elf) {
    if (rproc.Load(input).ok()) {
      CheckViews(platform, rproc);
      if (rproc.Start().ok()) {
        Exercise(platform, rproc);
        rproc.ReportCrash(CrashReason::kFault, "fuzz");  // recovery reloads the image
        Exercise(platform, rproc);
      }
      rproc.Stop().IgnoreError();
    }
  } else if (size > 0) {
    const std::size_t n = size < 4096 ? size : 4096;
    platform.Write(tandem::remoteproc::testing::kAttachTableDa, data, n);
    platform.loaded_table = FakePlatform::Mapping{tandem::remoteproc::testing::kAttachTableDa, n};
    if (rproc.Attach().ok()) {
      Exercise(platform, rproc);
      rproc.Detach().IgnoreError();
      if (rproc.Attach().ok()) rproc.Stop().IgnoreError();
    }
  }
  TANDEM_ASSERT(platform.GuardsIntact());
  TANDEM_ASSERT(platform.mapped.empty() || rproc.state() != tandem::remoteproc::State::kOffline);
  return 0;
}

// tandem-corruptor: a hostile third process for the hostile-peer integration
// test (hostile_test.cc, issue #10). It finds a live host/core pair through
// the core's state file, maps the pair's shared memory the way an attaching
// host does (/proc/<core pid>/fd/<n>, MAP_SHARED), and corrupts one thing:
//
//   tandem-corruptor --runtime-dir D --name N --scenario S [--seed K]
//                    [--ns-name NAME --ns-addr A] [--duration-ms MS] [--vdev V]
//
// --vdev V picks the table's V-th RPMsg vdev (docs/vdevs.md) for the vring
// and rsc scenarios: its rings, its status byte and its "vdev<V>buffer"
// (for tables whose vdev entries are all RPMsg ones).
//
// Scenarios (what is written, and who is expected to notice):
//   mailbox-sleepers     the sleeper counts of both mailbox channels zeroed,
//                        over and over for --duration-ms (default 1000):
//                        harmless by design (mailbox.h), traffic keeps flowing
//   mailbox-fifo-wild-to-host
//                        the producer index (tail) of the core -> host control
//                        FIFO set far ahead: the host reads kDataLoss and kills
//                        the core
//   mailbox-fifo-wild-to-core
//                        the same on the host -> core FIFO: the core notices
//   vring0-used-idx      vring0 (remote -> host) used.idx jumped by 0x1000 and
//                        held there for --duration-ms or until the core is
//                        gone (its owner would write it back): the host's
//                        driver queue sees more used than it posted
//   vring0-avail-idx     vring0 avail.idx jumped (held): the remote sees it
//   vring0-used-id-wild  one forged used entry on vring0 with an id >= num
//   vring0-used-len-wild one forged used entry on vring0 for the next posted
//                        buffer, with a length beyond the buffer
//   vring0-used-event    vring0's used_event (EVENT_IDX: where the host wants
//                        its next kick) moved far away: the remote stops
//                        kicking the host for what it sends
//   vring1-avail-idx     vring1 (host -> remote) avail.idx jumped (held): the
//                        remote's device queue sees more available than exist
//   vring1-used-idx      vring1 used.idx jumped (held): the host sees it when
//                        it reclaims tx buffers
//   desc-addr-outside    every vring0 descriptor's addr pointed outside shared
//                        memory: the remote refuses the buffer
//   desc-next-wild       every vring0 descriptor gets F_NEXT with next >= num
//   desc-len-shrunk      every vring0 descriptor's len shrunk to 64 bytes (the
//                        buffers are 512): the remote's replies do not fit
//   desc-to-tx-buffer    every vring0 descriptor redirected to the host's tx
//                        buffer of the same index: the remote would write its
//                        messages over what the host is sending
//   ns-create            a name-service CREATE of --ns-name at --ns-addr
//                        delivered to the host (the test announces the channel
//                        it has bound again, or its name at another address)
//   rsc-status-reset     the vdev status byte of the loaded table set to 0
//                        (DRIVER_OK gone): the remote stops its bus
//   rsc-header-garbled   the loaded table's header (ver, num, offsets) garbled
//   rsc-vring-da-wild    vring0's da in the loaded table pointed outside the
//                        device window (read by a host that attaches)
//   trace-garbage        the trace buffer filled with 0xFF (no NUL, no text)
//   vring-bitflips       64 random bit flips (--seed) over both vrings
//
// ns-create writes a real message, so it plays the device on vring0 for
// one buffer: it takes the next available buffer (avail[used.idx], which the
// remote would take next: the test keeps the remote idle meanwhile), writes
// the NS message into it, publishes it as used and kicks the host. The remote
// does not know: its private avail/used indices stay one behind, so the next
// message it sends lands in that same used slot, which the host has consumed
// already, and is lost (one message, once). Everything after is consistent.
// Until then the remote sees one buffer more available than the host has
// posted: if that makes more than the ring holds, the remote rightly reports
// "avail index jumped" (so the test keeps one rx buffer held meanwhile).
// This is the faithful way to deliver a whole NS message; overwriting the
// name in a message in flight would race with the host reading it.
//
// Exits 0 once the corruption is written, 1 (with a message on stderr) if it
// could not find or map what the scenario needs, 2 on bad arguments.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tandem/linux/core_state.h"
#include "tandem/linux/mailbox.h"
#include "tandem/rpmsg/wire.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/rsc/wire.h"
#include "tandem/virtio/ring_layout.h"

namespace {

using tandem::linux_platform::CoreState;
using tandem::linux_platform::Mailbox;
using tandem::linux_platform::MailboxRole;

struct Options {
  std::string runtime_dir;
  std::string name;
  std::string scenario;
  std::uint32_t seed = 1;
  std::string ns_name;
  std::uint32_t ns_addr = 0;
  int duration_ms = 1000;
  std::uint32_t vdev = 0;
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "tandem-corruptor: %s\n", what.c_str());
  std::exit(1);
}

// One MAP_SHARED mapping of a memfd the core holds open.
struct Mapping {
  std::byte* base = nullptr;
  std::size_t size = 0;
  std::uint64_t device_address = 0;
};

Mapping MapCoreFd(pid_t pid, int core_fd, std::size_t size, std::uint64_t device_address) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(core_fd);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) Fail("cannot open " + path + ": " + std::strerror(errno));
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) Fail("cannot map " + path + ": " + std::strerror(errno));
  return Mapping{static_cast<std::byte*>(p), size, device_address};
}

// Shared words are written and read with atomics: the two peers use them
// concurrently.
template <typename T>
T Load(std::byte* p) {
  return __atomic_load_n(reinterpret_cast<T*>(p), __ATOMIC_ACQUIRE);
}
template <typename T>
void Store(std::byte* p, T value) {
  __atomic_store_n(reinterpret_cast<T*>(p), value, __ATOMIC_RELEASE);
}

// The live pair: its memory, mapped here, and where things are in it.
class Pair {
 public:
  explicit Pair(const Options& options) {
    auto state = tandem::linux_platform::ReadCoreState(options.runtime_dir, options.name);
    if (!state.ok()) Fail("no state file: " + std::string(state.status().message()));
    state_ = std::move(state).value();
    mailbox_ = MapCoreFd(state_.pid, state_.mailbox_fd, Mailbox::kPageSize, 0);
    for (const auto& r : state_.regions) {
      regions_.push_back(MapCoreFd(state_.pid, r.core_fd, r.size, r.device_address));
    }
  }

  const CoreState& state() const { return state_; }
  std::byte* mailbox() const { return mailbox_.base; }

  // Host pointer of [da, da + size) if one region holds it all.
  std::byte* Translate(std::uint64_t da, std::size_t size) const {
    for (const Mapping& m : regions_) {
      if (da >= m.device_address && size <= m.size && da - m.device_address <= m.size - size) {
        return m.base + (da - m.device_address);
      }
    }
    return nullptr;
  }

  // The loaded resource table (the core's live copy).
  std::byte* table() const {
    if (state_.rsc_table_size == 0) Fail("the state file records no loaded resource table");
    std::byte* t = Translate(state_.rsc_table_da, state_.rsc_table_size);
    if (t == nullptr) Fail("the loaded resource table is in no mapped region");
    return t;
  }

 private:
  CoreState state_;
  Mapping mailbox_;
  std::vector<Mapping> regions_;
};

// What the loaded table says about the rpmsg vdev, parsed from a private
// copy with the project's own parser.
struct VdevInfo {
  std::uint32_t status_offset = 0;     // of the status byte, in the table
  std::uint32_t vring0_da_offset = 0;  // of vring0's da, in the table
  std::uint32_t trace_da = 0;          // the trace buffer (0: none)
  std::uint32_t trace_len = 0;
  tandem::rsc::Vring vring[2];
  std::uint32_t buffers_da = 0;  // the "vdev0buffer" carve-out
  std::uint32_t buffers_len = 0;
};

VdevInfo FindVdev(const Pair& pair, std::uint32_t index) {
  const std::string buffer_name = "vdev" + std::to_string(index) + "buffer";
  std::uint32_t rpmsg_vdevs = 0;
  const std::size_t size = pair.state().rsc_table_size;
  std::vector<std::byte> copy(size);
  std::memcpy(copy.data(), pair.table(), size);
  auto table = tandem::rsc::ResourceTable::Parse(copy);
  if (!table.ok())
    Fail("the loaded table does not parse: " + std::string(table.status().message()));
  std::optional<VdevInfo> info;
  std::uint32_t buffers_da = 0, buffers_len = 0, trace_da = 0, trace_len = 0;
  for (const tandem::rsc::Entry& e : table->entries()) {
    if (e.kind() == tandem::rsc::EntryKind::kTrace && trace_len == 0) {
      trace_da = e.trace().da;
      trace_len = e.trace().len;
    }
    if (e.kind() == tandem::rsc::EntryKind::kCarveout &&
        std::string_view(e.carveout().name.c_str()) == buffer_name) {
      buffers_da = e.carveout().da;
      buffers_len = e.carveout().len;
    }
    if (e.kind() != tandem::rsc::EntryKind::kVdev || info) continue;
    const tandem::rsc::Vdev& v = e.vdev();
    if (v.id != tandem::rsc::kVirtioIdRpmsg || v.num_of_vrings != 2) continue;
    if (rpmsg_vdevs++ != index) continue;
    info.emplace();
    info->status_offset = static_cast<std::uint32_t>(v.offset + sizeof(tandem::rsc::FwRscHdr) +
                                                     offsetof(tandem::rsc::FwRscVdev, status));
    info->vring0_da_offset = static_cast<std::uint32_t>(v.offset + sizeof(tandem::rsc::FwRscHdr) +
                                                        sizeof(tandem::rsc::FwRscVdev) +
                                                        offsetof(tandem::rsc::FwRscVdevVring, da));
    info->vring[0] = v.vring[0];
    info->vring[1] = v.vring[1];
  }
  if (!info) Fail("no rpmsg vdev in the loaded table");
  info->buffers_da = buffers_da;
  info->trace_da = trace_da;
  info->trace_len = trace_len;
  info->buffers_len = buffers_len;
  return *info;
}

// One vring in this process's mapping.
struct Ring {
  std::byte* base = nullptr;
  tandem::virtio::RingLayout layout;
  std::uint32_t notifyid = 0;

  std::byte* at(std::size_t offset) const { return base + offset; }
  std::byte* desc(std::uint16_t i) const { return base + layout.desc(i); }
};

Ring MapRing(const Pair& pair, const tandem::rsc::Vring& vring) {
  auto layout = tandem::virtio::RingLayout::Compute(vring.num, vring.align);
  if (!layout.ok()) Fail("bad vring geometry in the loaded table");
  std::byte* base = pair.Translate(vring.da, layout->size());
  if (base == nullptr) Fail("vring outside the mapped regions");
  return Ring{base, *layout, vring.notifyid};
}

// Keeps writing `value` into the ring index at `word` for `duration_ms`
// (the honest writer would put its own value back at its next update), or
// until the core is gone: then the host has noticed, and the memory may be
// reused for the next run.
void HammerIndex(const Pair& pair, std::byte* word, std::uint16_t value, int duration_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration_ms);
  do {
    Store<std::uint16_t>(word, value);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  } while (std::chrono::steady_clock::now() < until &&
           !(::kill(pair.state().pid, 0) != 0 && errno == ESRCH));
}

// Kicks the side that receives in `receiver`'s role, as its peer would.
void Kick(const Pair& pair, MailboxRole receiver, std::uint32_t notifyid) {
  const MailboxRole sender =
      receiver == MailboxRole::kHost ? MailboxRole::kCore : MailboxRole::kHost;
  auto mailbox = Mailbox::Create(pair.mailbox(), Mailbox::kPageSize, sender);
  if (!mailbox.ok()) Fail("the mailbox page is not valid");
  (void)(*mailbox)->Send(notifyid, std::chrono::milliseconds(100));
}

using DescEdit = void (*)(std::byte* desc, std::uint16_t index, const Ring& ring,
                          const VdevInfo& info);

void EditEveryDescriptor(const Ring& ring, const VdevInfo& info, DescEdit edit) {
  for (std::uint16_t i = 0; i < ring.layout.num(); ++i) edit(ring.desc(i), i, ring, info);
}

constexpr std::size_t kDescAddr = offsetof(tandem::virtio::VringDesc, addr);
constexpr std::size_t kDescLen = offsetof(tandem::virtio::VringDesc, len);
constexpr std::size_t kDescFlags = offsetof(tandem::virtio::VringDesc, flags);
constexpr std::size_t kDescNext = offsetof(tandem::virtio::VringDesc, next);

void ZeroSleepers(const Pair& pair, int duration_ms) {
  using Word = Mailbox::PageWord;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration_ms);
  do {
    for (MailboxRole receiver : {MailboxRole::kHost, MailboxRole::kCore}) {
      for (Word w : {Word::kReceiverSleepers, Word::kSenderSleepers}) {
        Store<std::uint32_t>(pair.mailbox() + Mailbox::OffsetOf(receiver, w), 0);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  } while (std::chrono::steady_clock::now() < until);
}

// The producer index of the control FIFO `receiver` consumes, far ahead of
// its consumer index: more messages than the FIFO holds.
void WildFifoTail(const Pair& pair, MailboxRole receiver) {
  using Word = Mailbox::PageWord;
  std::byte* head = pair.mailbox() + Mailbox::OffsetOf(receiver, Word::kHead);
  std::byte* tail = pair.mailbox() + Mailbox::OffsetOf(receiver, Word::kTail);
  Store<std::uint32_t>(tail, Load<std::uint32_t>(head) + 0x10000);
  // Wake the receiver so that it looks at the page now.
  std::byte* seq = pair.mailbox() + Mailbox::OffsetOf(receiver, Word::kSeq);
  __atomic_fetch_add(reinterpret_cast<std::uint32_t*>(seq), 1, __ATOMIC_ACQ_REL);
}

// Publishes one forged used entry on `ring` (after whatever the device
// published) and kicks the host.
void ForgeUsed(const Pair& pair, const Ring& ring, std::uint32_t id, std::uint32_t len) {
  const std::uint16_t used = Load<std::uint16_t>(ring.at(ring.layout.used_idx()));
  tandem::virtio::VringUsedElem elem;
  elem.id.set(id);
  elem.len.set(len);
  std::memcpy(ring.at(ring.layout.used_ring(used & (ring.layout.num() - 1))), &elem, sizeof(elem));
  Store<std::uint16_t>(ring.at(ring.layout.used_idx()), static_cast<std::uint16_t>(used + 1));
  Kick(pair, MailboxRole::kHost, ring.notifyid);
}

// Plays the device on vring0 for one buffer: an NS CREATE message.
void InjectNsCreate(const Pair& pair, const Ring& rx, const Options& options) {
  namespace rpmsg = tandem::rpmsg;
  if (options.ns_name.empty() || options.ns_name.size() >= rpmsg::kNameSize) {
    Fail("ns-create needs --ns-name (1..31 characters) and --ns-addr");
  }
  const std::uint16_t used = Load<std::uint16_t>(rx.at(rx.layout.used_idx()));
  const std::uint16_t avail = Load<std::uint16_t>(rx.at(rx.layout.avail_idx()));
  if (avail == used) Fail("vring0 has no available buffer");
  const std::uint16_t slot = used & (rx.layout.num() - 1);
  const std::uint16_t head = Load<std::uint16_t>(rx.at(rx.layout.avail_ring(slot)));
  if (head >= rx.layout.num()) Fail("vring0 avail entry out of range");
  tandem::virtio::VringDesc desc;
  std::memcpy(&desc, rx.desc(head), sizeof(desc));
  const std::uint32_t total = rpmsg::kHeaderSize + sizeof(rpmsg::NsMessage);
  if (desc.len.get() < total) Fail("vring0 buffer too small for an NS message");
  std::byte* buffer = pair.Translate(desc.addr.get(), total);
  if (buffer == nullptr) Fail("vring0 buffer outside the mapped regions");

  const rpmsg::RpmsgHeader header = rpmsg::MakeHeader(
      rpmsg::kNsAddress, rpmsg::kNsAddress, static_cast<std::uint16_t>(sizeof(rpmsg::NsMessage)));
  rpmsg::NsMessage ns{};
  std::memcpy(ns.name, options.ns_name.data(), options.ns_name.size());
  ns.addr.set(options.ns_addr);
  ns.flags.set(static_cast<std::uint32_t>(rpmsg::NsFlags::kCreate));
  std::memcpy(buffer, &header, sizeof(header));
  std::memcpy(buffer + sizeof(header), &ns, sizeof(ns));

  tandem::virtio::VringUsedElem elem;
  elem.id.set(head);
  elem.len.set(total);
  std::memcpy(rx.at(rx.layout.used_ring(slot)), &elem, sizeof(elem));
  Store<std::uint16_t>(rx.at(rx.layout.used_idx()), static_cast<std::uint16_t>(used + 1));
  Kick(pair, MailboxRole::kHost, rx.notifyid);
}

void FlipBits(const Ring& ring, std::mt19937& random, int flips) {
  std::uniform_int_distribution<std::size_t> byte(0, ring.layout.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7);
  for (int i = 0; i < flips; ++i) {
    std::byte* p = ring.at(byte(random));
    __atomic_fetch_xor(reinterpret_cast<unsigned char*>(p),
                       static_cast<unsigned char>(1u << bit(random)), __ATOMIC_ACQ_REL);
  }
}

int Run(const Options& options) {
  const Pair pair(options);
  const std::string& s = options.scenario;
  if (s == "mailbox-sleepers") {
    ZeroSleepers(pair, options.duration_ms);
    return 0;
  }
  if (s == "mailbox-fifo-wild-to-host" || s == "mailbox-fifo-wild-to-core") {
    WildFifoTail(pair, s == "mailbox-fifo-wild-to-host" ? MailboxRole::kHost : MailboxRole::kCore);
    return 0;
  }
  const VdevInfo info = FindVdev(pair, options.vdev);
  const Ring rx = MapRing(pair, info.vring[0]);  // vring0: remote -> host
  const Ring tx = MapRing(pair, info.vring[1]);  // vring1: host -> remote
  // An index jumped by 0x1000 (16 rings of 256 ahead), held there.
  auto jump = [&](const Ring& ring, std::size_t offset, MailboxRole kicked) {
    std::byte* idx = ring.at(offset);
    const auto jumped = static_cast<std::uint16_t>(Load<std::uint16_t>(idx) + 0x1000);
    Store<std::uint16_t>(idx, jumped);
    Kick(pair, kicked, ring.notifyid);
    HammerIndex(pair, idx, jumped, options.duration_ms);
  };
  if (s == "vring0-used-idx") {
    jump(rx, rx.layout.used_idx(), MailboxRole::kHost);
  } else if (s == "vring0-avail-idx") {
    jump(rx, rx.layout.avail_idx(), MailboxRole::kCore);
  } else if (s == "vring0-used-id-wild") {
    ForgeUsed(pair, rx, 0xFFFF, 16);
  } else if (s == "vring0-used-len-wild") {
    const std::uint16_t used = Load<std::uint16_t>(rx.at(rx.layout.used_idx()));
    const std::uint16_t head =
        Load<std::uint16_t>(rx.at(rx.layout.avail_ring(used & (rx.layout.num() - 1))));
    ForgeUsed(pair, rx, head, 0xFFFFFFF0);
  } else if (s == "vring0-used-event") {
    // EVENT_IDX: "kick me when you pass this used index", moved half a
    // ring-index space away: the remote stops kicking the host for replies.
    std::byte* event = rx.at(rx.layout.used_event());
    const std::uint16_t used = Load<std::uint16_t>(rx.at(rx.layout.used_idx()));
    Store<std::uint16_t>(event, static_cast<std::uint16_t>(used + 0x8000));
  } else if (s == "vring1-avail-idx") {
    jump(tx, tx.layout.avail_idx(), MailboxRole::kCore);
  } else if (s == "vring1-used-idx") {
    jump(tx, tx.layout.used_idx(), MailboxRole::kHost);
  } else if (s == "desc-addr-outside") {
    EditEveryDescriptor(rx, info, [](std::byte* d, std::uint16_t, const Ring&, const VdevInfo&) {
      Store<std::uint64_t>(d + kDescAddr, 0x7FFF'0000'0000ull);
    });
  } else if (s == "desc-next-wild") {
    EditEveryDescriptor(rx, info, [](std::byte* d, std::uint16_t, const Ring& r, const VdevInfo&) {
      Store<std::uint16_t>(d + kDescFlags,
                           static_cast<std::uint16_t>(Load<std::uint16_t>(d + kDescFlags) |
                                                      tandem::virtio::kDescFlagNext));
      Store<std::uint16_t>(d + kDescNext, static_cast<std::uint16_t>(r.layout.num() + 7));
    });
  } else if (s == "desc-len-shrunk") {
    EditEveryDescriptor(rx, info, [](std::byte* d, std::uint16_t, const Ring&, const VdevInfo&) {
      Store<std::uint32_t>(d + kDescLen, 64);
    });
  } else if (s == "desc-to-tx-buffer") {
    if (info.buffers_len == 0) Fail("no vdev0buffer carve-out in the loaded table");
    EditEveryDescriptor(
        rx, info, [](std::byte* d, std::uint16_t i, const Ring& r, const VdevInfo& v) {
          // The buffer area is rx buffers, then tx buffers (rpmsg/host_bus.h).
          const std::uint64_t buffer_size = v.buffers_len / (2u * r.layout.num());
          Store<std::uint64_t>(d + kDescAddr, v.buffers_da + v.buffers_len / 2 + i * buffer_size);
        });
  } else if (s == "ns-create") {
    InjectNsCreate(pair, rx, options);
  } else if (s == "rsc-status-reset") {
    Store<std::uint8_t>(pair.table() + info.status_offset, 0);
  } else if (s == "rsc-vring-da-wild") {
    // Outside the device window: a host that takes the table over must
    // refuse it.
    Store<std::uint32_t>(pair.table() + info.vring0_da_offset, 0xFFFF0000u);
  } else if (s == "trace-garbage") {
    std::byte* trace = pair.Translate(info.trace_da, info.trace_len);
    if (info.trace_len == 0 || trace == nullptr) Fail("no mapped trace buffer");
    std::memset(trace, 0xFF, info.trace_len);  // no NUL anywhere, no text
  } else if (s == "rsc-header-garbled") {
    std::byte* t = pair.table();
    Store<std::uint32_t>(t + offsetof(tandem::rsc::FwTableHeader, ver), 0xDEADBEEF);
    Store<std::uint32_t>(t + offsetof(tandem::rsc::FwTableHeader, num), 0xFFFFFFFF);
    // The offset array follows the 16-byte header.
    Store<std::uint32_t>(t + sizeof(tandem::rsc::FwTableHeader), 0x7FFFFFF1);
  } else if (s == "vring-bitflips") {
    std::mt19937 random(options.seed);
    FlipBits(rx, random, 32);
    FlipBits(tx, random, 32);
  } else {
    std::fprintf(stderr, "tandem-corruptor: unknown scenario %s\n", s.c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--runtime-dir") {
      options.runtime_dir = value;
    } else if (key == "--name") {
      options.name = value;
    } else if (key == "--scenario") {
      options.scenario = value;
    } else if (key == "--seed") {
      options.seed = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 0));
    } else if (key == "--ns-name") {
      options.ns_name = value;
    } else if (key == "--ns-addr") {
      options.ns_addr = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 0));
    } else if (key == "--duration-ms") {
      options.duration_ms = std::atoi(value);
    } else if (key == "--vdev") {
      options.vdev = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 0));
    } else {
      std::fprintf(stderr, "tandem-corruptor: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (argc % 2 != 1 || options.runtime_dir.empty() || options.name.empty() ||
      options.scenario.empty()) {
    std::fprintf(stderr,
                 "usage: tandem-corruptor --runtime-dir D --name N --scenario S [--seed K]\n"
                 "                        [--ns-name NAME --ns-addr A] [--duration-ms MS]\n"
                 "                        [--vdev V]\n");
    return 2;
  }
  return Run(options);
}

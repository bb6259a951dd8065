// The bulk hand-over parser and the pool's checks with fuzzed messages
// (core/bulk, docs/bulk_buffers.md). The input is a script: each step takes
// one byte that picks the receiving pool (producer or consumer) and an
// action, then 16 message bytes. The pools are a producer that owns every
// block and a consumer that owns none, over one fake carve-out, with the
// fuzzer playing a hostile peer to both; between steps the legitimate
// sides allocate, send and release. Nothing may crash, touch memory outside
// the carve-out (ASan), or break the invariants: every block is in exactly
// one state, a received view lies inside its block, and refused messages
// change nothing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tandem/bulk/pool.h"
#include "tandem/bulk/wire.h"
#include "tandem/testing/fake_shm.h"

using namespace tandem;
using namespace tandem::bulk;

namespace {

class NullSender final : public Sender {
 public:
  Status SendBulk(ConstByteSpan message) override {
    (void)ParseMessage(message);
    return fail ? Aborted("down") : OkStatus();
  }
  bool fail = false;
};

constexpr std::uint32_t kBlocks = 8;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Every input also goes to the parser alone, whatever its length.
  const ConstByteSpan whole(reinterpret_cast<const std::byte*>(data), size);
  auto parsed = ParseMessage(whole);
  Check(!parsed.ok() || size == kMessageSize);
  (void)IsBulkMessage(whole);

  const std::uint32_t block_size = 64u * (1u + (size ? data[0] % 4 : 0));
  testing::FakeShm shm(kBlocks * block_size, 0x30000000);
  rpmsg::NoLock lock;
  NullSender sender;
  PoolStorage<kBlocks> ps, cs;
  Pool producer(ps.span(), lock, &sender);
  Pool consumer(cs.span(), lock, &sender);
  Check(producer.Configure({shm.region(), block_size}).ok());
  Check(consumer.Configure({shm.region(), block_size, 0, 0}).ok());
  std::vector<TxBlock> tx;
  std::vector<RxBlock> rx;

  std::size_t at = size ? 1 : 0;
  while (at + 1 + kMessageSize <= size) {
    const std::uint8_t op = data[at++];
    const ConstByteSpan message(reinterpret_cast<const std::byte*>(data + at), kMessageSize);
    at += kMessageSize;
    Pool& pool = (op & 1) ? producer : consumer;
    const PoolStats before = pool.stats();
    RxBlock got;
    const Status s = pool.Receive(message, got);
    const PoolStats after = pool.stats();
    if (!s.ok()) {
      Check(!got.valid());
      Check(after.free == before.free && after.lent == before.lent &&
            after.borrowed == before.borrowed && after.peer == before.peer);
      Check(after.rejected == before.rejected + 1);
    } else if (got.valid()) {
      const std::byte* b = got.data().data();
      Check(b >= shm.data() && got.data().size() <= block_size &&
            b + got.data().size() <= shm.data() + shm.size());
      Check((got.offset() % block_size) == 0);
      rx.push_back(static_cast<RxBlock&&>(got));
    }
    switch ((op >> 1) & 7) {
      case 0: {
        auto b = producer.Allocate();
        if (b.ok()) tx.push_back(static_cast<TxBlock&&>(*b));
        break;
      }
      case 1:
        if (!tx.empty()) {
          sender.fail = (op & 0x80) != 0;
          (void)tx.back().Send(op & 0x40 ? block_size : 1, op);
          if (!tx.back().valid()) tx.pop_back();
          sender.fail = false;
        }
        break;
      case 2:
        if (!rx.empty()) rx.pop_back();
        break;
      case 3:
        if (!tx.empty()) tx.pop_back();
        break;
      case 4:
        if ((op & 0xF0) == 0xF0) {
          producer.Reset();
          consumer.Reset();
        }
        break;
      default: break;
    }
    for (Pool* p : {&producer, &consumer}) {
      const PoolStats st = p->stats();
      Check(st.free + st.writing + st.lent + st.peer + st.borrowed == kBlocks);
    }
  }
  return 0;
}

// Per-layer RPMsg micro-benchmarks (one thread, both buses in one process
// over fake shared memory, testing/bus_pair.h): what the bus code itself
// costs, without doorbells, scheduling or a second CPU.
//  - BusSendReceive:     host Send (copy) -> remote Poll (route, deliver,
//                        release) -> host Poll (reclaim), per message.
//  - BusZeroCopySend:    the same with AcquireTx + TxBuffer::Send.
//  - BusRouteEndpoints:  as BusSendReceive, the messages spread over N
//                        remote endpoints (routing cost with 1 to 1024).
//  - EndpointLookup:     EndpointTable::Find with N entries.
// The fixture's lock is the tests' CheckingLock (records re-entry), a few ns
// more than the hosted mutex.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "tandem/rpmsg/endpoint_table.h"
#include "tandem/testing/bus_pair.h"

using namespace tandem;
using namespace tandem::rpmsg;

namespace {

class Count final : public MessageHandler {
 public:
  void OnMessage(Endpoint&, ReceivedMessage&) override { ++count; }
  std::uint64_t count = 0;
};

constexpr std::uint32_t kBase = 0x1000;

// A started pair with `remote_endpoints` remote endpoints at kBase.. and
// one host endpoint talking to kBase.
struct Fixture {
  explicit Fixture(int remote_endpoints) : remote_eps(remote_endpoints) {
    for (auto& e : remote_eps) e = std::make_unique<Endpoint>();
    for (int i = 0; i < remote_endpoints; ++i) {
      if (!pair.remote().CreateEndpoint(*remote_eps[i], {nullptr, kBase + i}, sink).ok()) {
        std::abort();
      }
    }
    if (!pair.host().CreateEndpoint(host_ep, {nullptr, kAddrAny, kBase}, sink).ok()) std::abort();
    pair.Pump();
  }
  rpmsg::testing::BusPair pair;
  Count sink;
  Endpoint host_ep;
  std::vector<std::unique_ptr<Endpoint>> remote_eps;
};

void BM_BusSendReceive(benchmark::State& state) {
  Fixture f(1);
  std::vector<std::byte> payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    if (!f.pair.host().Send(f.host_ep, payload, Timeout::None()).ok()) std::abort();
    f.pair.remote().Poll().IgnoreError();
    f.pair.host().Poll().IgnoreError();
  }
  if (f.sink.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("messages lost");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BusSendReceive)->Arg(16)->Arg(496);

void BM_BusZeroCopySend(benchmark::State& state) {
  Fixture f(1);
  const auto len = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto tx = f.pair.host().AcquireTx(f.host_ep, Timeout::None());
    if (!tx.ok()) std::abort();
    tx->data()[0] = std::byte{1};
    if (!tx->Send(len).ok()) std::abort();
    f.pair.remote().Poll().IgnoreError();
    f.pair.host().Poll().IgnoreError();
  }
  if (f.sink.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("messages lost");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BusZeroCopySend)->Arg(16)->Arg(496);

void BM_BusRouteEndpoints(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Fixture f(n);
  std::byte payload[16] = {};
  std::uint32_t i = 0;
  for (auto _ : state) {
    const std::uint32_t dst = kBase + i++ % static_cast<std::uint32_t>(n);
    if (!f.pair.host().SendTo(f.host_ep, dst, payload, Timeout::None()).ok()) std::abort();
    f.pair.remote().Poll().IgnoreError();
    f.pair.host().Poll().IgnoreError();
  }
  if (f.sink.count != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("messages lost");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BusRouteEndpoints)->Arg(1)->Arg(16)->Arg(256)->Arg(1024);

void BM_EndpointLookup(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  std::vector<EndpointSlot> slots(2048);
  auto table = EndpointTable::Create(slots).value();
  std::vector<Endpoint> eps(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!table.Insert(kBase + i, &eps[i]).ok()) std::abort();
  }
  std::uint32_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Find(kBase + (i++ * 7) % n));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EndpointLookup)->Arg(1)->Arg(16)->Arg(256)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();

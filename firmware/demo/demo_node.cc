#include "demo_node.h"

#include "bulk_source.h"
#include "demo_services.h"
#include "tandem/remote/echo_service.h"

namespace tandem::remote::demo {

namespace {
// The main loop's work: bench-source streams, the large echo's timeout,
// the flow-controlled streams, bulk-source hand-overs (when the image has a
// bulk pool).
class DemoLoop final : public LoopHook {
 public:
  DemoLoop(BenchSourceService& bench, LargeEchoService& large, StreamService& stream,
           BulkSourceService& bulk)
      : bench_(bench), large_(large), stream_(stream), bulk_(bulk) {}
  void OnLoop(RemoteNode& node) override {
    bench_.OnLoop(node);
    large_.Tick();
    stream_.OnLoop(node);
    bulk_.OnLoop(node);
  }

 private:
  BenchSourceService& bench_;
  LargeEchoService& large_;
  StreamService& stream_;
  BulkSourceService& bulk_;
};
}  // namespace

int RunDemo(const TandemBsp& bsp, const RemoteNodeConfig& config, shm::Region bulk_pool) {
  // Static storage: the node holds the bus and its buffers' bookkeeping.
  static RemoteNode node(bsp, config);
  static SampleClientService sample(node);
  static EchoService echo(node);
  static TtyService tty(node);
  static EventEchoService event_echo;
  static BenchSinkService bench_sink(node);
  static BenchSourceService bench_source(node);
  static LargeEchoService large_echo(node);
  static StreamService stream(node);
  static rpmsg::Endpoint sample_endpoint;
  static rpmsg::Endpoint echo_endpoint;
  static rpmsg::Endpoint tty_endpoint;
  static rpmsg::Endpoint bench_sink_endpoint;
  static rpmsg::Endpoint bench_source_endpoint;
  static rpmsg::Endpoint large_echo_endpoint;
  static rpmsg::Endpoint stream_endpoint;

  const Status added[] = {
      node.AddEndpoint(sample_endpoint, SampleClientService::kName, sample),
      node.AddEndpoint(echo_endpoint, EchoService::kName, echo),
      node.AddEndpoint(tty_endpoint, TtyService::kName, tty),
      node.AddEndpoint(bench_sink_endpoint, BenchSinkService::kName, bench_sink),
      node.AddEndpoint(bench_source_endpoint, BenchSourceService::kName, bench_source),
      node.AddEndpoint(large_echo_endpoint, LargeEchoService::kName, large_echo),
      node.AddEndpoint(stream_endpoint, StreamService::kName, stream),
  };
  static BulkSourceService bulk_source(node, bulk_pool);
  static rpmsg::Endpoint bulk_endpoint;
  if (bulk_pool.size() > 0) {
    if (const Status s = node.AddEndpoint(bulk_endpoint, BulkSourceService::kName, bulk_source);
        !s.ok()) {
      node.Log("demo: endpoint not created: %s", s.message());
    }
  }
  static DemoLoop loop(bench_source, large_echo, stream, bulk_source);
  node.SetLoopHook(&loop);
  for (const Status& s : added) {
    if (!s.ok()) node.Log("demo: endpoint not created: %s", s.message());
  }
  node.SetEventHandler(&event_echo);
  return node.Run();
}

}  // namespace tandem::remote::demo

#include "faulty_node.h"

#include "fault_service.h"
#include "tandem/remote/echo_service.h"

namespace tandem::remote::faulty {

int RunFaulty(const TandemBsp& bsp, const RemoteNodeConfig& config) {
  static RemoteNode node(bsp, config);
  static EchoService echo(node);
  static FaultService fault(node);
  static rpmsg::Endpoint echo_endpoint;
  static rpmsg::Endpoint fault_endpoint;

  const Status added[] = {
      node.AddEndpoint(echo_endpoint, EchoService::kName, echo),
      node.AddEndpoint(fault_endpoint, FaultService::kName, fault),
  };
  for (const Status& s : added) {
    if (!s.ok()) node.Log("faulty: endpoint not created: %s", s.message());
  }
  node.SetLoopHook(&fault);
  return node.Run();
}

}  // namespace tandem::remote::faulty

#include "tandem/rpmsg/receive_queue.h"

namespace tandem::rpmsg {

template Status BasicReceiveQueue<RxBuffer>::CheckStorage(std::span<RxBuffer>);

}  // namespace tandem::rpmsg

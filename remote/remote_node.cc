#include "tandem/remote/remote_node.h"

#include <cstdint>

#include "tandem/remote/print.h"
#include "tandem/remoteproc/mailbox.h"

namespace tandem::remote {

namespace mailbox = remoteproc::mailbox;

namespace {

// Unknown control messages are logged up to this many times, then only
// counted: a hostile host must not be able to flood the console and trace.
constexpr std::uint32_t kMaxUnknownControlLogs = 8;

// Crash on purpose (kAbortRequest): a write through a null pointer the
// optimizer cannot see, so the host sees a memory fault, as TI firmware
// does on RP_MBOX_ABORT_REQUEST.
[[noreturn]] void CrashOnPurpose() {
  std::uint32_t* p = nullptr;
  __asm__ volatile("" : "+r"(p));
  *reinterpret_cast<volatile std::uint32_t*>(p) = 0xDEAD;
  __builtin_trap();
}

}  // namespace

RemoteNode::RemoteNode(const TandemBsp& bsp, const RemoteNodeConfig& config)
    : bsp_(bsp),
      config_(config),
      mailbox_(bsp, stash_),
      bus_(rpmsg::BusPlatform{mailbox_, lock_, mailbox_}, storage_.memory()) {}

Status RemoteNode::AddEndpoint(rpmsg::Endpoint& endpoint, const char* name,
                               rpmsg::MessageHandler& handler) {
  if (running_) return FailedPrecondition("endpoints are added before Run()");
  if (name == nullptr || name[0] == '\0') return InvalidArgument("an endpoint needs a name");
  std::size_t length = 0;
  while (name[length] != '\0' && length < rpmsg::kNameSize) ++length;
  if (length >= rpmsg::kNameSize) return InvalidArgument("endpoint name too long");
  for (std::size_t i = 0; i < service_count_; ++i) {
    if (services_[i].endpoint == &endpoint) return AlreadyExists("endpoint added twice");
  }
  if (service_count_ == kMaxEndpoints)
    return ResourceExhausted("more than kMaxEndpoints endpoints");
  services_[service_count_++] = Service{&endpoint, name, &handler};
  return OkStatus();
}

void RemoteNode::CreateEndpoints() {
  // One at a time on the running bus: each is announced as it is created
  // (if a buffer is free; else from a later Poll()), in the order added.
  for (std::size_t i = 0; i < service_count_; ++i) {
    const Service& service = services_[i];
    rpmsg::EndpointConfig config;
    config.name = service.name;
    if (const Status s = bus_.CreateEndpoint(*service.endpoint, config, *service.handler);
        !s.ok()) {
      Log("%s: endpoint %s not created: %s", config_.name, service.name, s.message());
    }
  }
}

void RemoteNode::DestroyEndpoints() {
  // The bus is stopped: nothing is announced. Freed addresses are reused
  // in the same order by CreateEndpoints().
  for (std::size_t i = 0; i < service_count_; ++i) bus_.DestroyEndpoint(*services_[i].endpoint);
}

void RemoteNode::LogV(const char* format, std::va_list args) {
  char line[kMaxLogLine + 1];
  std::size_t n = FormatV(line, kMaxLogLine, format, args);
  if (n >= kMaxLogLine) n = kMaxLogLine - 1;  // FormatV kept kMaxLogLine - 1 characters
  line[n++] = '\n';
  if (bsp_.console_write != nullptr) bsp_.console_write(bsp_.ctx, line, n);
  if (trace_) trace_->Write(line, n);
}

void RemoteNode::Log(const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  LogV(format, args);
  va_end(args);
}

Status RemoteNode::Reply(rpmsg::Endpoint& endpoint, const rpmsg::ReceivedMessage& message,
                         ConstByteSpan payload) {
  return bus_.SendTo(endpoint, message.src(), payload, config_.reply_timeout);
}

void RemoteNode::Sleep(std::uint64_t ns) {
  const std::uint64_t start = mailbox_.Now();
  for (;;) {
    const std::uint64_t now = mailbox_.Now();
    if (now - start >= ns || !mailbox_.failure().ok()) return;
    const std::uint64_t left = ns - (now - start);
    const std::uint64_t slice = left < config_.loop_timeout_ns ? left : config_.loop_timeout_ns;
    mailbox_.Receive(slice).IgnoreError();  // stashed for the main loop
  }
}

int RemoteNode::Run() {
  running_ = true;
  vdev::RemoteLinkConfig link_config;
  link_config.table.table = config_.resource_table;
  link_config.table.device_memory = config_.device_memory;
  link_config.table.image = config_.image;
  link_config.table.max_vring_num = kMaxVringNum;
  link_config.table.buffer_size = config_.buffer_size;
  link_config.send_timeout = config_.reply_timeout;
  // A failed link is reported: DEVICE_NEEDS_RESET, then kLinkBroken.
  link_config.mailbox = &mailbox_;
  auto opened = vdev::RemoteLink::Open(link_config, bus_, *this);
  if (opened.ok()) {
    link_.emplace(std::move(opened).value());
    // The trace first, so that the boot line is in it too.
    auto trace = link_->table().Trace();
    if (trace.ok()) {
      auto bytes = trace->Bytes(0, trace->size());
      if (bytes.ok()) trace_.emplace(*bytes);
    }
  }
  Log("%s: booted (bsp abi %u)", config_.name, static_cast<unsigned>(bsp_.abi_version));
  if (!link_) {
    Log("%s: unusable resource table: %s", config_.name, opened.status().message());
    return kExitBadTable;
  }
  if (!trace_) Log("%s: no trace buffer; logging to the console only", config_.name);
  Log("%s: waiting for the host (vdev status DRIVER_OK)", config_.name);

  for (;;) {
    if (const Status failed = mailbox_.failure(); !failed.ok()) {
      Log("%s: mailbox failed: %s", config_.name, failed.message());
      StopLink();
      return kExitMailbox;
    }
    while (const std::optional<std::uint32_t> message = stash_.TakeControl()) {
      if (HandleControl(*message) == Action::kExit) return kExitClean;
    }
    link_->Update();
    // A kick only says "look". The running link is polled on every
    // iteration, kick or timeout, so a kick the host decided not to send
    // (EVENT_IDX) or an announcement that waited for a buffer is picked up
    // within one loop period; without a link there is nothing to look at.
    stash_.TakeKick();
    if (link_->running()) PollBus();
    if (hook_ != nullptr) hook_->OnLoop(*this);
    if (stash_.has_control() || stash_.kick_pending() || poll_again_) continue;
    const std::uint64_t timeout =
        link_->running() ? config_.loop_timeout_ns : config_.driver_wait_ns;
    mailbox_.Receive(timeout).IgnoreError();  // failures are latched, checked above
  }
}

Status RemoteNode::SendEvent(std::uint32_t value) {
  if (value > mailbox::kMaxEventValue) return InvalidArgument("an event value has 24 bits");
  return mailbox_.SendControl(mailbox::MakeEvent(value));
}

RemoteNode::Action RemoteNode::HandleControl(std::uint32_t message) {
  if (mailbox::IsEvent(message)) {
    ++counters_.events;
    if (event_handler_ != nullptr) {
      event_handler_->OnEvent(*this, mailbox::EventValue(message));
    } else {
      ++counters_.events_dropped;
    }
    return Action::kContinue;
  }
  switch (message) {
    case mailbox::kShutdown:
      if (ignore_shutdown_) {
        ++counters_.ignored_shutdowns;
        Log("%s: shutdown request ignored", config_.name);
        return Action::kContinue;
      }
      Log("%s: shutdown requested", config_.name);
      StopLink();
      // The host resets the core once it has the ack: nothing after this.
      if (const Status s = SendControl(mailbox::kShutdownAck); !s.ok()) {
        Log("%s: could not acknowledge the shutdown: %s", config_.name, s.message());
      }
      return Action::kExit;
    case mailbox::kVdevReset:
      ++counters_.vdev_resets;
      Log("%s: vdev reset requested by the host", config_.name);
      link_->Reset();
      if (const Status s = SendControl(mailbox::kVdevResetAck); !s.ok()) {
        Log("%s: could not acknowledge the vdev reset: %s", config_.name, s.message());
      }
      return Action::kContinue;
    case mailbox::kEchoRequest:
      if (const Status s = SendControl(mailbox::kEchoReply); !s.ok()) {
        Log("%s: could not answer an echo request: %s", config_.name, s.message());
      }
      return Action::kContinue;
    case mailbox::kAbortRequest:
      Log("%s: abort requested by the host: crashing on purpose", config_.name);
      CrashOnPurpose();
    default:
      if (++counters_.unknown_controls <= kMaxUnknownControlLogs) {
        Log("%s: ignoring control message 0x%08x", config_.name, static_cast<unsigned>(message));
      }
      return Action::kContinue;
  }
}

void RemoteNode::OnLinkUp(const VdevLink& link) {
  ++counters_.link_starts;
  poll_again_ = true;  // messages may already wait; announcements may wait for buffers
  Log("%s: rpmsg link up: vring0 0x%llx vring1 0x%llx (num %u, notifyids %u/%u), buffers 0x%llx, "
      "features 0x%08x",
      config_.name, static_cast<unsigned long long>(link.bus.vring0.ring.device_address()),
      static_cast<unsigned long long>(link.bus.vring1.ring.device_address()),
      static_cast<unsigned>(link.bus.vring0.num), static_cast<unsigned>(link.bus.vring0.notifyid),
      static_cast<unsigned>(link.bus.vring1.notifyid),
      static_cast<unsigned long long>(link.bus.buffers.device_address()),
      static_cast<unsigned>(link.gfeatures));
  CreateEndpoints();
}

void RemoteNode::OnLinkDown(vdev::LinkDownCause cause) {
  if (cause == vdev::LinkDownCause::kDriverReset) {
    ++counters_.vdev_resets;
    Log("%s: host reset the vdev (status 0x%02x)", config_.name,
        static_cast<unsigned>(link_->observed_status()));
  }
  DestroyEndpoints();
  poll_again_ = false;
}

void RemoteNode::OnLinkFailed(vdev::LinkFailure failure, const Status& error) {
  ++counters_.link_failures;
  Log(failure == vdev::LinkFailure::kBroken
          ? "%s: rpmsg link broken: %s (reported: DEVICE_NEEDS_RESET, kLinkBroken)"
          : "%s: rpmsg link setup failed: %s (reported: DEVICE_NEEDS_RESET, kLinkBroken)",
      config_.name, error.message());
  if (error.Is(vdev::kHostIgnoredBufferSize)) {
    Log("%s: this firmware is built for %u-byte RPMsg buffers", config_.name,
        static_cast<unsigned>(config_.buffer_size));
  }
}

void RemoteNode::StopLink() {
  if (link_) link_->Stop();
  poll_again_ = false;
}

void RemoteNode::PollBus() {
  poll_again_ = false;
  ++counters_.polls;
  // The poll budget ran out with more pending: go round again before
  // waiting (the control messages get their turn in between). Other errors
  // were handled by the link (OnLinkDown, OnLinkFailed).
  if (link_->Poll().code() == StatusCode::kUnavailable) poll_again_ = true;
}

}  // namespace tandem::remote

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
    : bsp_(bsp), config_(config), mailbox_(bsp, stash_), vdev0_(*this, 0) {}

Status RemoteNode::AddVdev(RemoteVdev& vdev) {
  if (running_) return FailedPrecondition("vdevs are added before Run()");
  if (&vdev.node_ != this) return InvalidArgument("the vdev was made for another node");
  if (vdev.added_) return AlreadyExists("vdev added twice");
  if (vdev_count_ == kMaxVdevs) return ResourceExhausted("more than kMaxVdevs rpmsg vdevs");
  vdev.index_ = static_cast<std::uint32_t>(vdev_count_);
  vdev.added_ = true;
  vdevs_[vdev_count_++] = &vdev;
  return OkStatus();
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
  // The bus the endpoint was created on; an endpoint not (or no longer)
  // created gets vdev 0's bus's refusal.
  rpmsg::Bus& bus = endpoint.bus() != nullptr ? *endpoint.bus() : vdev0_.bus();
  return bus.SendTo(endpoint, message.src(), payload, config_.reply_timeout);
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
  const Status opened = vdev0_.Open();
  if (opened.ok()) {
    // The trace first, so that the boot line is in it too.
    auto trace = vdev0_.link_->table().Trace();
    if (trace.ok()) {
      auto bytes = trace->Bytes(0, trace->size());
      if (bytes.ok()) trace_.emplace(*bytes);
    }
  }
  Log("%s: booted (bsp abi %u)", config_.name, static_cast<unsigned>(bsp_.abi_version));
  if (!opened.ok()) {
    Log("%s: unusable resource table: %s", config_.name, opened.message());
    return kExitBadTable;
  }
  if (!trace_) Log("%s: no trace buffer; logging to the console only", config_.name);
  // An added vdev the table lacks is a firmware built with the wrong table:
  // said once, then left unused; the vdevs the table has are served.
  for (std::size_t i = 1; i < vdev_count_; ++i) {
    if (const Status s = vdevs_[i]->Open(); !s.ok()) {
      Log("%s: vdev%u: not served: %s", config_.name, static_cast<unsigned>(i), s.message());
    }
  }
  Log("%s: waiting for the host (vdev status DRIVER_OK)", config_.name);

  for (;;) {
    if (const Status failed = mailbox_.failure(); !failed.ok()) {
      Log("%s: mailbox failed: %s", config_.name, failed.message());
      StopLinks();
      return kExitMailbox;
    }
    while (const std::optional<std::uint32_t> message = stash_.TakeControl()) {
      if (HandleControl(*message) == Action::kExit) return kExitClean;
    }
    bool any_running = false;
    for (std::size_t i = 0; i < vdev_count_; ++i) {
      if (vdevs_[i]->link_) vdevs_[i]->link_->Update();
      any_running = any_running || vdevs_[i]->running();
    }
    // A kick only says "look", whichever vring it names. Every running link
    // is polled on every iteration, kick or timeout, so a kick the host
    // decided not to send (EVENT_IDX) or an announcement that waited for a
    // buffer is picked up within one loop period; without a running link
    // there is nothing to look at.
    stash_.TakeKick();
    poll_again_ = false;  // from the last iteration: consumed
    if (any_running) PollBuses();
    if (hook_ != nullptr) hook_->OnLoop(*this);
    if (stash_.has_control() || stash_.kick_pending() || poll_again_) continue;
    const std::uint64_t timeout = any_running ? config_.loop_timeout_ns : config_.driver_wait_ns;
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
      StopLinks();
      // The host resets the core once it has the ack: nothing after this.
      if (const Status s = SendControl(mailbox::kShutdownAck); !s.ok()) {
        Log("%s: could not acknowledge the shutdown: %s", config_.name, s.message());
      }
      return Action::kExit;
    case mailbox::kVdevReset:
      ++counters_.vdev_resets;
      Log("%s: vdev reset requested by the host", config_.name);
      // Every vdev, then one acknowledgement: the host resets them all.
      for (std::size_t i = 0; i < vdev_count_; ++i) {
        if (vdevs_[i]->link_) vdevs_[i]->link_->Reset();
      }
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

void RemoteNode::StopLinks() {
  for (std::size_t i = 0; i < vdev_count_; ++i) {
    if (vdevs_[i]->link_) vdevs_[i]->link_->Stop();
  }
  poll_again_ = false;
}

void RemoteNode::PollBuses() {
  ++counters_.polls;
  // A bus whose poll budget ran out with more pending: go round again
  // before waiting (the control messages get their turn in between).
  for (std::size_t i = 0; i < vdev_count_; ++i) {
    if (vdevs_[i]->running() && vdevs_[i]->Poll()) poll_again_ = true;
  }
}

}  // namespace tandem::remote

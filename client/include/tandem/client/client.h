#pragma once
// tandem::client: how a program talks to tandemd (protocol.h), the daemon
// that owns the remote processors. The `tandem` CLI is built on it.
//
//   Client       a control connection: one JSON request, one JSON reply
//   ChannelClient  an RPMsg endpoint in the daemon (a /dev/rpmsgN): one
//                Send() is one message, one Receive() returns one message
//                or one event (the link went down / came back, drops)
//
// Connect() starts a daemon for the runtime directory when none answers
// (as adb does), unless told not to; started_daemon() says it did.
//
// Errors carry a StatusCode (the daemon's, by name) and a line of text;
// kUnavailable means the daemon could not be reached or went away.
// Threading: one object, one thread at a time (a ChannelClient may be read
// on one thread and written on another: Send and Receive share no state).
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/client/protocol.h"

namespace tandem::client {

using Json = nlohmann::json;

struct Error {
  StatusCode code = StatusCode::kOk;
  std::string message;
  bool ok() const { return code == StatusCode::kOk; }
  static Error Ok() { return {}; }
};

// StatusCodeName() backwards; kInternal for a name we do not know.
StatusCode StatusCodeFromName(const std::string& name);

struct ClientOptions {
  std::string runtime_dir;  // empty: the default runtime directory
  bool spawn = true;        // start a daemon if none answers
  std::string daemon_path;  // empty: $TANDEM_DAEMON, next to this program, PATH
  std::chrono::milliseconds reply_timeout{60000};
};

// Sends one packet on a connected SOCK_SEQPACKET socket `fd` (not owned),
// waiting while its buffer is full, `timeout` in all: kDeadlineExceeded
// then, kUnavailable if the other end is gone. Both ends use it: Packets
// and the daemon's replies and channel frames.
Error SendPacket(int fd, const void* data, std::size_t len, std::chrono::milliseconds timeout);

// A connected SOCK_SEQPACKET socket; closes on destruction.
class Packets {
 public:
  Packets() = default;
  explicit Packets(int fd) : fd_(fd) {}
  ~Packets();
  Packets(Packets&& other) noexcept;
  Packets& operator=(Packets&& other) noexcept;

  static Error Connect(const std::string& path, Packets* out);
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // One packet; blocks while the socket buffer is full, at most `timeout`.
  Error Send(const void* data, std::size_t len, std::chrono::milliseconds timeout);
  // One packet into `out` (resized to its length). kDeadlineExceeded when
  // nothing came within `timeout`, kUnavailable at end of stream.
  Error Receive(std::vector<std::byte>* out, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

class Client {
 public:
  static Error Connect(const ClientOptions& options, Client* out);

  // Sends `request` and waits for its reply. A reply {"ok": false} becomes
  // the Error (its "code" and "error"); *reply holds the whole reply.
  Error Call(const Json& request, Json* reply);

  bool started_daemon() const { return started_pid_ > 0; }
  pid_t started_pid() const { return started_pid_; }
  const std::string& socket_path() const { return socket_path_; }
  Packets& packets() { return packets_; }
  std::chrono::milliseconds reply_timeout() const { return reply_timeout_; }

 private:
  Packets packets_;
  std::string socket_path_;
  pid_t started_pid_ = 0;
  std::chrono::milliseconds reply_timeout_{60000};
};

// What opens a channel: a service the remote announced, by name (the
// endpoint sends to its address, followed across restarts), or explicit
// addresses (RPMSG_CREATE_EPT_IOCTL: src may be kAddrAny = 0xffffffff).
struct ChannelSpec {
  std::string remote = "rproc0";
  std::string channel;                   // name; empty: use dst
  std::uint32_t src = 0xffffffffu;       // local address; any
  std::uint32_t dst = 0xffffffffu;       // remote address (with no name)
  std::chrono::milliseconds wait{5000};  // for the name to be announced
  // Which RPMsg vdev (bus) of the remote, in table order: each is a bus of
  // its own with its own channels (docs/vdevs.md).
  std::uint32_t vdev = 0;
  // Opt in to messages larger than the MTU (docs/large_messages.md): the
  // daemon fragments and reassembles on this endpoint if the link
  // negotiated Tandem's large-message bit (then large() and max_message());
  // the service on the other side must have opted in too.
  bool large = false;
  // Flow control (docs/flow_control.md): "auto" lets the daemon pause the
  // remote's sending to this client while its queue in the daemon is half
  // full, and resume it when it drained; "manual": only SetIncomingFlow().
  bool flow_auto = false;
};

// The flow-control state of a channel (docs/flow_control.md).
struct FlowState {
  bool supported = false;        // the remote negotiated flow control
  bool incoming_paused = false;  // the remote was asked to pause sending to us
  bool outgoing_paused = false;  // the remote asked us to pause (sends wait)
  bool automatic = false;        // the daemon pauses and resumes for our queue
  std::uint64_t auto_pauses = 0;
};

class ChannelClient {
 public:
  struct Incoming {
    bool is_event = false;
    std::vector<std::byte> payload;  // a message
    Json event;                      // an event ({"event": ...})
  };

  static Error Open(const ClientOptions& options, const ChannelSpec& spec, ChannelClient* out);

  std::uint32_t src() const { return src_; }
  std::uint32_t dst() const { return dst_; }
  std::size_t mtu() const { return mtu_; }
  // Opened with ChannelSpec::large on a link that negotiated it: Send()
  // takes up to max_message() bytes (else max_message() == mtu()).
  bool large() const { return large_; }
  std::size_t max_message() const { return large_ ? max_message_ : mtu_; }
  const std::string& name() const { return name_; }
  int fd() const { return packets_.fd(); }  // readable: Receive() will not block
  bool started_daemon() const { return started_pid_ > 0; }
  pid_t started_pid() const { return started_pid_; }

  // Queues one message for the remote. kInvalidArgument above
  // max_message() (the mtu() unless large()). An
  // error sending it later comes back as a "send_failed" event.
  Error Send(ConstByteSpan payload, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // The next message or event; kDeadlineExceeded after `timeout`.
  Error Receive(Incoming* out, std::chrono::milliseconds timeout);

  // Flow control (docs/flow_control.md), what RPMSG_SET_INCOMING_FLOWCONTROL
  // and RPMSG_GET_OUTGOING_FLOWCONTROL are for a /dev/rpmsgN: asks the
  // remote to pause (true) or resume sending to this endpoint, or reads the
  // state. kUnimplemented when the remote did not negotiate it. Messages
  // and events that arrive meanwhile are kept for Receive().
  Error SetIncomingFlow(bool pause, FlowState* state = nullptr,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));
  Error GetFlow(FlowState* state, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool flow_control() const { return flow_control_; }  // negotiated, at open

 private:
  Packets packets_;
  std::uint32_t src_ = 0;
  std::uint32_t dst_ = 0;
  std::size_t mtu_ = 0;
  bool large_ = false;
  bool large_refused_ = false;  // asked for, not negotiated by the link
  std::size_t max_message_ = 0;
  std::string name_;
  pid_t started_pid_ = 0;
  bool flow_control_ = false;
  std::vector<std::byte> scratch_;
  std::deque<Incoming> stash_;  // what arrived while a control request waited
  Error Control(const Json& request, FlowState* state, std::chrono::milliseconds timeout);
  Error ReceiveFrame(Incoming* out, std::chrono::milliseconds timeout);
};

}  // namespace tandem::client

namespace tandem {
using Client = client::Client;
}  // namespace tandem

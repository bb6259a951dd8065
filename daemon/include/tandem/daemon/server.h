#pragma once
// Server: tandemd's Unix socket. One thread accepts; each connection gets a
// thread of its own (at most kMaxConnections at once; more are answered
// with an error and closed), which reads requests and answers them in
// order, or serves a channel (channel_session.h). A connection that sends
// something that is not a request gets an error reply; one larger than
// client::kMaxPacket is cut off (SEQPACKET truncates) and refused.
#include <atomic>
#include <list>
#include <string>
#include <thread>

#include "tandem/base/thread_annotations.h"
#include "tandem/client/client.h"
#include "tandem/daemon/daemon.h"
#include "tandem/hosted/mutex.h"

namespace tandem::daemon {

class Server {
 public:
  static constexpr std::size_t kMaxConnections = 128;

  explicit Server(Daemon& daemon) : daemon_(daemon) {}
  ~Server();  // Stop() and join every thread

  // Binds `path` (mode 0600; a stale socket file is replaced).
  Error Listen(const std::string& path);
  // Accepts until Stop() or a "shutdown" request; returns then.
  void Run();
  void Stop() { stop_ = true; }
  // Stops, ends every connection (joins its thread) and removes the
  // socket: after it no connection uses the Daemon.
  void Shutdown() TANDEM_EXCLUDES(mutex_);

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void Serve(Connection& connection);
  void ReapFinished() TANDEM_EXCLUDES(mutex_);

  Daemon& daemon_;
  int listen_fd_ = -1;
  std::string path_;
  std::atomic<bool> stop_{false};
  hosted::Mutex mutex_;
  std::list<Connection> connections_ TANDEM_GUARDED_BY(mutex_);
};

}  // namespace tandem::daemon

// Held connections: C idle keep-alive connections kept open while other scenarios run.
// They live in child processes (fork), at most `per_process` each, because one process
// may open only 20,000 descriptors here; each connection sends GET /healthz now and then
// so the server's idle timeout does not close it. Fork only while the caller has no other
// thread running.
#pragma once

#include <sys/types.h>

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

namespace stampede {

struct HoldOptions {
  int connections = 0;
  int per_process = 15'000;
  boost::asio::ip::tcp::endpoint server;
  std::vector<boost::asio::ip::address> sources;
  std::string host_header = "127.0.0.1";
  int refresh_s = 20;          // each connection sends a request this often (with jitter)
  int open_timeout_s = 30;     // give up on connections not open by then
};

class Holders {
 public:
  // Forks the children and waits until each reports how many connections it holds.
  explicit Holders(const HoldOptions& options);
  ~Holders();  // Stop()
  Holders(const Holders&) = delete;
  Holders& operator=(const Holders&) = delete;

  int open() const { return open_; }
  int failed() const { return failed_; }
  // How many are still open now (asks every child). -1 if a child is gone.
  int Count();
  // Closes every held connection and reaps the children.
  void Stop();

 private:
  struct Child {
    pid_t pid;
    int to_child;    // write end: "c\n" asks for a count; closing it stops the child
    int from_child;  // read end: one line per report
  };
  std::vector<Child> children_;
  int open_ = 0;
  int failed_ = 0;
};

// Resident set size of `pid` in KiB from /proc, 0 if unknown.
long RssKiB(pid_t pid);

}  // namespace stampede

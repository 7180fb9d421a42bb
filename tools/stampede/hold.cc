#include "hold.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>

#include "http_wire.h"

namespace stampede {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

bool ReadLine(int fd, std::string& line, int timeout_ms) {
  line.clear();
  char c;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    if (read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
    line.push_back(c);
  }
}

struct ChildState {
  int open = 0;
  int failed = 0;
  int pending = 0;
};

// One held connection: connect, then a keep-alive request every refresh_s (jittered).
asio::awaitable<void> HoldOne(asio::io_context& io, const HoldOptions& o, int i, ChildState& st,
                              std::shared_ptr<bool> stopping) {
  Connection conn(io.get_executor());
  asio::steady_timer timer(io);
  timer.expires_after(std::chrono::milliseconds(2 * (i / 200)));  // waves
  co_await timer.async_wait(kAwait);
  const asio::ip::address* source = o.sources.empty() ? nullptr : &o.sources[i % o.sources.size()];
  std::string error;
  bool ok = co_await conn.Connect(o.server, source, error);
  --st.pending;
  if (!ok) {
    ++st.failed;
    co_return;
  }
  ++st.open;
  const std::string request = RenderRequest("GET", "/healthz", o.host_header, {}, "");
  std::mt19937 rng(static_cast<unsigned>(i));
  ParsedResponse response;
  // The first request at a uniform point of the first refresh_s, the next ones every
  // refresh_s/2..refresh_s: connections opened within a second would otherwise send their
  // first requests as one wave (50,000 within 10 s), landing inside whichever phase runs
  // then rather than as the steady background that holding them costs.
  int64_t wait_ms = rng() % (o.refresh_s * 1000 + 1);
  while (!*stopping) {
    timer.expires_after(std::chrono::milliseconds(wait_ms));
    wait_ms = o.refresh_s * 1000 / 2 + rng() % (o.refresh_s * 500 + 1);
    co_await timer.async_wait(kAwait);
    if (*stopping) break;
    if (!co_await conn.Exchange(request, response, error)) {
      --st.open;
      co_return;
    }
  }
  conn.Close();
  --st.open;
}

[[noreturn]] void RunChild(const HoldOptions& o, int first, int count, int in_fd, int out_fd) {
  asio::io_context io(1);
  ChildState st;
  st.pending = count;
  auto stopping = std::make_shared<bool>(false);
  for (int i = first; i < first + count; ++i) asio::co_spawn(io, HoldOne(io, o, i, st, stopping), asio::detached);
  auto report = [&] {
    std::string line = std::to_string(st.open) + " " + std::to_string(st.failed) + "\n";
    (void)!write(out_fd, line.data(), line.size());
  };
  // First report once every attempt finished (or the open timeout passed).
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.open_timeout_s);
    while (st.pending > 0 && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(20ms);
      co_await t.async_wait(kAwait);
    }
    st.failed += st.pending;
    report();
    // Then answer "c" with a count until the parent closes the pipe.
    asio::posix::stream_descriptor in(io, in_fd);
    asio::streambuf buf;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(in, buf, '\n', kAwait);
      if (ec) break;
      buf.consume(n);
      report();
    }
    *stopping = true;
    io.stop();
  }, asio::detached);
  io.run();
  _exit(0);
}
}  // namespace

Holders::Holders(const HoldOptions& o) {
  const int per = std::max(1, o.per_process);
  for (int first = 0; first < o.connections; first += per) {
    const int count = std::min(per, o.connections - first);
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) break;
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      for (const Child& c : children_) {
        close(c.to_child);
        close(c.from_child);
      }
      RunChild(o, first, count, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    if (pid < 0) {
      close(down[1]);
      close(up[0]);
      break;
    }
    children_.push_back({pid, down[1], up[0]});
  }
  std::string line;
  for (const Child& c : children_) {
    if (!ReadLine(c.from_child, line, (o.open_timeout_s + 30) * 1000)) continue;
    int open = 0, failed = 0;
    if (std::sscanf(line.c_str(), "%d %d", &open, &failed) == 2) {
      open_ += open;
      failed_ += failed;
    }
  }
}

int Holders::Count() {
  int total = 0;
  std::string line;
  for (const Child& c : children_) {
    if (write(c.to_child, "c\n", 2) != 2 || !ReadLine(c.from_child, line, 5000)) return -1;
    int open = 0, failed = 0;
    if (std::sscanf(line.c_str(), "%d %d", &open, &failed) == 2) total += open;
  }
  return total;
}

void Holders::Stop() {
  for (const Child& c : children_) close(c.to_child);
  for (const Child& c : children_) {
    int status = 0;
    for (int i = 0; i < 100 && waitpid(c.pid, &status, WNOHANG) == 0; ++i) usleep(50'000);
    if (waitpid(c.pid, &status, WNOHANG) == 0) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, &status, 0);
    }
    close(c.from_child);
  }
  children_.clear();
}

Holders::~Holders() { Stop(); }

long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace stampede

// Child processes, temporary directories and free ports for tests that run real programs.
// Everything here is for test code only: it blocks, and it is meant to be called from the
// test's main thread (see ChildProcess about which thread may spawn).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace minishop::testing {

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back,
// close). Another process may take it before the caller binds it: servers that fail to
// bind are retried on a new port by the harness. Returns 0 only if no socket can be made.
int FreePort();

// True if every socket listening on TCP `port` (any address, IPv4 or IPv6) is an open file
// of process `pid`. A server that binds with SO_REUSEPORT (MiniShop, nginx) shares a port
// silently with any other process of the same user that binds it too, such as a server of
// a test running beside this one that picked the same free port: the kernel then spreads
// connections over both. Reads /proc; false if it cannot.
bool ListensAlone(int port, pid_t pid);

// Blocks until something accepts TCP connections on 127.0.0.1:port or `timeout` passes.
bool WaitForTcp(int port, std::chrono::milliseconds timeout);

// Returns the absolute path of `name` found on $PATH (or in `extra_dirs`), or kUnavailable
// whose message names the Debian package to install.
Result<std::string> FindProgram(const std::string& name, const std::string& debian_package,
                                const std::vector<std::string>& extra_dirs = {});

// A fresh directory under $TMPDIR (default /tmp) that is removed with everything in it when
// the object dies, by the process that created it only (not by a forked child). It records
// that process's pid inside, so that Create() can remove the directories of earlier test
// processes that died without cleaning up (SIGKILL, crash). Move-only.
class TempDir {
 public:
  static Result<TempDir> Create(const std::string& prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

  // Makes the directory traversable by everyone (0755) and, when running as root, hands
  // `subdir` (created if missing; empty: the directory itself) to `user`. Servers that
  // refuse to run as root (initdb, rabbitmq) need this.
  Status GiveTo(const std::string& user, const std::string& subdir = "");

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  pid_t owner_ = 0;
};

// How to start a child process.
struct SpawnOptions {
  std::vector<std::string> argv;                 // argv[0] is looked up on $PATH
  std::map<std::string, std::string> extra_env;  // added to (and overriding) our environment
  std::string log_path;  // stdout and stderr are appended here; empty: /dev/null
  std::string run_as;    // when we are root: run as this user; ignored when not root
  std::string cwd;       // empty: inherit ours
};

// A child process in its own process group, with stdin from /dev/null. If the thread that
// spawned it exits (normally: the test process dies, even by SIGKILL), the kernel kills the
// child (PR_SET_PDEATHSIG), so a crashed test leaves no server behind: spawn from the main
// thread or another thread that outlives the child. Not thread-safe; move-only by pointer.
class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> Spawn(const SpawnOptions& options);
  static Result<std::unique_ptr<ChildProcess>> Spawn(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
      const std::string& log_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the whole process group with SIGKILL if the child still runs, and reaps it.
  ~ChildProcess();

  pid_t pid() const { return pid_; }

  // True until the child has exited (reaps it when it has).
  bool Running();

  // Sends `signal` to the child only.
  Status Signal(int signal);
  // SIGTERM to the child; does not wait.
  Status Terminate();
  // SIGKILL to the child's whole process group, then reaps the child. Other members of the
  // group are killed too but reaped by init, not here.
  Status Kill9();

  // Waits up to `timeout` for the child to exit. Returns its exit code (128 + signal number
  // when a signal ended it) or kDeadlineExceeded if it still runs. Repeated calls return the same code.
  Result<int> Wait(std::chrono::milliseconds timeout);

  // SIGTERM (or `signal`), wait up to `grace`, then Kill9. Returns the exit code.
  Result<int> Stop(std::chrono::milliseconds grace, int signal = 15);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  pid_t parent_ = 0;  // a forked copy of the parent (a death test) must not kill the child
  bool exited_ = false;
  int exit_code_ = 0;
};

// Runs a command to completion (output appended to `options.log_path`) and returns its exit
// code, or kDeadlineExceeded (after killing it) when it takes longer than `timeout`.
Result<int> RunCommand(const SpawnOptions& options, std::chrono::milliseconds timeout);

// The last `max_bytes` of a text file, for error messages that point at a server log.
std::string TailOfFile(const std::string& path, size_t max_bytes = 2000);

}  // namespace minishop::testing

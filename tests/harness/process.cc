#include "harness/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <algorithm>
#include <random>

extern char** environ;

namespace minishop::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

Error Errno(const std::string& what) {
  return MakeError(Code::kInternal, what + ": " + std::strerror(errno));
}

// Credentials of a user, resolved before fork() because getpwnam is not async-signal-safe.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home;
};

Result<Credentials> LookUpUser(const std::string& name) {
  struct passwd* pw = getpwnam(name.c_str());
  if (pw == nullptr) {
    return MakeError(Code::kUnavailable, "no such user '" + name + "' (is its package installed?)");
  }
  Credentials c{pw->pw_uid, pw->pw_gid, {}, pw->pw_dir};
  int n = 64;
  c.groups.resize(n);
  if (getgrouplist(name.c_str(), c.gid, c.groups.data(), &n) < 0) {
    c.groups.resize(n);
    getgrouplist(name.c_str(), c.gid, c.groups.data(), &n);
  }
  c.groups.resize(n);
  return c;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reports errno through `fd` and exits: the only way a forked child can say exec failed.
[[noreturn]] void ChildFail(int fd, const char* step) {
  int err = errno;
  char buf[128];
  int len = snprintf(buf, sizeof buf, "%s: %s", step, strerror(err));
  if (len > 0) (void)!write(fd, buf, static_cast<size_t>(len));
  _exit(127);
}

// Shell convention: the exit status, or 128 + the signal that ended the process.
int DecodeWaitStatus(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

namespace {

// Binds 127.0.0.1:port (0: any) and returns the bound port, or 0.
int TryBind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof addr;
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

// The lower end of the kernel's ephemeral (outgoing connection) port range.
int EphemeralLow() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0, high = 0;
  if (!(range >> low >> high)) return 32768;
  return low;
}

}  // namespace

int FreePort() {
  // Servers get ports below the ephemeral range: a port handed out by the kernel for
  // bind(0) can be taken a moment later by the source port of some outgoing connection
  // (load tests open thousands), and RabbitMQ then fails with dist_port_already_used.
  static std::mt19937 rng(std::random_device{}());
  const int high = EphemeralLow();
  const int low = std::max(1024, high - 12'000);
  if (high - low >= 1000) {
    std::uniform_int_distribution<int> pick(low, high - 1);
    for (int attempt = 0; attempt < 200; ++attempt) {
      int port = pick(rng);
      if (TryBind(port) == port) return port;
    }
  }
  return TryBind(0);
}

bool ListensAlone(int port, pid_t pid) {
  // /proc/net/tcp{,6}: "sl local_address rem_address st … inode", addresses as HEX:PORT,
  // state 0A = LISTEN.
  std::vector<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const size_t colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) inodes.push_back(inode);
    }
  }
  if (inodes.empty()) return false;
  std::vector<std::string> ours;
  std::error_code dir_error;
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& fd : std::filesystem::directory_iterator(fds, dir_error)) {
    std::error_code link_error;
    const std::string target = std::filesystem::read_symlink(fd.path(), link_error).string();
    if (!link_error && target.rfind("socket:[", 0) == 0)
      ours.push_back(target.substr(8, target.size() - 9));
  }
  if (dir_error) return false;
  return std::all_of(inodes.begin(), inodes.end(), [&ours](const std::string& inode) {
    return std::find(ours.begin(), ours.end(), inode) != ours.end();
  });
}

bool WaitForTcp(int port, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  do {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(milliseconds(50));
  } while (steady_clock::now() < deadline);
  return false;
}

Result<std::string> FindProgram(const std::string& name, const std::string& debian_package,
                                const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs = extra_dirs;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');) dirs.push_back(dir);
  // Server binaries live in sbin, which a non-root $PATH often lacks.
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) dirs.push_back(d);
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return MakeError(Code::kUnavailable, name + " not found: install the Debian package '" +
                                           debian_package + "' (./minishop deps does)");
}

namespace {

constexpr char kOwnerFile[] = ".owner-pid";

// Removes `parent/prefix-*` directories whose recorded owner process no longer exists.
void RemoveAbandonedDirs(const std::string& parent, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix + "-", 0) != 0 || !entry.is_directory(ec)) continue;
    std::ifstream in(entry.path() / kOwnerFile);
    pid_t owner = 0;
    if (!(in >> owner) || owner <= 0) continue;  // not ours, or still being created
    if (kill(owner, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

Result<TempDir> TempDir::Create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string parent = tmp != nullptr && *tmp ? tmp : "/tmp";
  RemoveAbandonedDirs(parent, prefix);
  std::string pattern = parent + "/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Errno("mkdtemp " + pattern);
  TempDir dir(pattern);
  dir.owner_ = getpid();
  std::ofstream(pattern + "/" + kOwnerFile) << dir.owner_ << "\n";
  return dir;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)), owner_(other.owner_) {
  other.path_.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::move(other.path_);
    owner_ = other.owner_;
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty() || getpid() != owner_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Status TempDir::GiveTo(const std::string& user, const std::string& subdir) {
  if (chmod(path_.c_str(), 0755) != 0) return Errno("chmod " + path_);
  std::string target = subdir.empty() ? path_ : path_ + "/" + subdir;
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) return MakeError(Code::kInternal, "mkdir " + target + ": " + ec.message());
  if (geteuid() != 0) return OkStatus();
  auto creds = LookUpUser(user);
  if (!creds.ok()) return creds.error();
  if (chown(target.c_str(), creds->uid, creds->gid) != 0) return Errno("chown " + target);
  return OkStatus();
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
    const std::string& log_path) {
  return Spawn(SpawnOptions{argv, extra_env, log_path, "", ""});
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return MakeError(Code::kInvalidArgument, "Spawn: empty argv");
  std::string program = options.argv[0];
  if (program.find('/') == std::string::npos) {
    auto found = FindProgram(program, program);
    if (!found.ok()) return found.error();
    program = *found;
  }
  std::optional<Credentials> creds;
  if (!options.run_as.empty() && geteuid() == 0) {
    auto c = LookUpUser(options.run_as);
    if (!c.ok()) return c.error();
    creds = std::move(*c);
  }

  // Everything the child needs is prepared here: after fork() only async-signal-safe calls.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (creds) {
    env["HOME"] = creds->home;
    env["USER"] = env["LOGNAME"] = options.run_as;
  }
  for (const auto& [k, v] : options.extra_env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv_c = CStrings(argv_strings);
  std::vector<char*> env_c = CStrings(env_strings);

  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = options.log_path.empty() ? open("/dev/null", O_WRONLY | O_CLOEXEC)
                                        : open(options.log_path.c_str(),
                                               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (in_fd < 0 || out_fd < 0) {
    Error e = Errno("open " + options.log_path);
    if (in_fd >= 0) close(in_fd);
    if (out_fd >= 0) close(out_fd);
    return e;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(in_fd);
    close(out_fd);
    return Errno("pipe2");
  }

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    Error e = Errno("fork");
    for (int fd : {in_fd, out_fd, report[0], report[1]}) close(fd);
    return e;
  }
  if (pid == 0) {
    int w = report[1];
    setpgid(0, 0);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) ChildFail(w, "dup2");
    // Whatever else the test process has open must not leak into a long-lived server.
    syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) ChildFail(w, "chdir");
    if (creds) {
      if (setgroups(creds->groups.size(), creds->groups.data()) != 0) ChildFail(w, "setgroups");
      if (setgid(creds->gid) != 0) ChildFail(w, "setgid");
      if (setuid(creds->uid) != 0) ChildFail(w, "setuid");
    }
    // After the credential change, which would clear it.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(w, "prctl");
    if (getppid() != parent) _exit(126);
    execve(program.c_str(), argv_c.data(), env_c.data());
    ChildFail(w, "execve");
  }
  setpgid(pid, pid);  // also here, so a kill(-pid) right after Spawn cannot miss the group
  for (int fd : {in_fd, out_fd, report[1]}) close(fd);
  char buf[256];
  ssize_t n;
  do {
    n = read(report[0], buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  std::unique_ptr<ChildProcess> child(new ChildProcess(pid));
  child->parent_ = parent;
  if (n > 0) {
    (void)child->Wait(milliseconds(1000));
    return MakeError(Code::kUnavailable,
                     "cannot start " + program + ": " + std::string(buf, static_cast<size_t>(n)));
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (getpid() == parent_ && Running()) (void)Kill9();
}

bool ChildProcess::Running() {
  if (exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exited_ = true;
  exit_code_ = r == pid_ ? DecodeWaitStatus(status) : -1;  // -1: reaped elsewhere, code lost
  return false;
}

Status ChildProcess::Signal(int signal) {
  if (!Running()) return OkStatus();
  if (kill(pid_, signal) != 0 && errno != ESRCH) return Errno("kill " + std::to_string(pid_));
  return OkStatus();
}

Status ChildProcess::Terminate() { return Signal(SIGTERM); }

Status ChildProcess::Kill9() {
  // The group outlives its leader when members linger (e.g. PostgreSQL backends): always
  // signal the group, even if the leader has already exited.
  kill(-pid_, SIGKILL);
  if (!exited_) {
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    exited_ = true;
    exit_code_ = r == pid_ ? DecodeWaitStatus(status) : -1;
  }
  return OkStatus();
}

Result<int> ChildProcess::Wait(milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (Running()) {
    if (steady_clock::now() >= deadline) {
      return MakeError(Code::kDeadlineExceeded, "pid " + std::to_string(pid_) + " still running");
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return exit_code_;
}

Result<int> ChildProcess::Stop(milliseconds grace, int signal) {
  Status s = Signal(signal);
  if (!s.ok()) return s.error();
  auto code = Wait(grace);
  if (code.ok()) return code;
  (void)Kill9();
  return exit_code_;
}

Result<int> RunCommand(const SpawnOptions& options, milliseconds timeout) {
  auto child = ChildProcess::Spawn(options);
  if (!child.ok()) return child.error();
  auto code = (*child)->Wait(timeout);
  if (!code.ok()) {
    (void)(*child)->Kill9();
    return MakeError(Code::kDeadlineExceeded, options.argv[0] + " did not finish within " +
                                         std::to_string(timeout.count()) + " ms");
  }
  return code;
}

std::string TailOfFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                             ? size - static_cast<std::streamoff>(max_bytes)
                             : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

}  // namespace minishop::testing

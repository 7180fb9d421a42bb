// RabbitMQ for tests: one node per RabbitServer, isolated from any system node.
//
// The Debian wrappers in /usr/sbin switch to the `rabbitmq` user with `su`, which resets
// HOME to /var/lib/rabbitmq and so shares that directory's Erlang cookie with every other
// node on the machine. We call the scripts in /usr/lib/rabbitmq/bin directly instead, as the
// `rabbitmq` user when root, with HOME set to our own directory holding our own cookie, and
// the same environment for the server and for rabbitmqctl so that the two can talk.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <tuple>

#include "harness/servers.h"

namespace minishop::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kScriptsDir[] = "/usr/lib/rabbitmq/bin";
constexpr char kUser[] = "rabbitmq";
constexpr int kPortAttempts = 3;

// Writes a file owned by the node's user (when we are root) with `mode`.
Status WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return MakeError(Code::kInternal, "cannot write " + path);
  if (geteuid() == 0) {
    struct passwd* pw = getpwnam(kUser);
    if (pw == nullptr || chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return MakeError(Code::kInternal, "cannot give " + path + " to user " + kUser);
    }
  }
  if (chmod(path.c_str(), mode) != 0) return MakeError(Code::kInternal, "chmod " + path);
  return OkStatus();
}

std::string RandomCookie() {
  std::random_device rd;
  std::string cookie;
  for (int i = 0; i < 32; ++i) cookie += static_cast<char>('A' + rd() % 26);
  return cookie;
}

}  // namespace

RabbitServer::RabbitServer(TempDir dir, int amqp_port, int dist_port, int epmd_port)
    : dir_(std::move(dir)),
      amqp_port_(amqp_port),
      dist_port_(dist_port),
      epmd_port_(epmd_port),
      node_("minishop-test-" + std::to_string(getpid()) + "-" + std::to_string(amqp_port) +
            "@localhost") {}

RabbitServer::~RabbitServer() {
  (void)Stop();
  if (epmd_) (void)epmd_->Stop(5s);
}

Result<std::unique_ptr<RabbitServer>> RabbitServer::Start() {
  std::string server = std::string(kScriptsDir) + "/rabbitmq-server";
  if (access(server.c_str(), X_OK) != 0) {
    return MakeError(Code::kUnavailable,
                     server +
                         " not found: install the Debian package 'rabbitmq-server' "
                         "(./minishop deps does)");
  }
  auto epmd = FindProgram("epmd", "erlang-base");
  if (!epmd.ok()) return epmd.error();

  Error last = MakeError(Code::kUnavailable, "no free port");
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    auto dir = TempDir::Create("minishop-rabbit");
    if (!dir.ok()) return dir.error();
    // Everything under the directory belongs to the node's user: it writes mnesia, logs,
    // the pid file and reads the cookie from its HOME (the directory itself).
    Status given = dir->GiveTo(kUser);
    if (!given.ok()) return given.error();
    std::string home = dir->path();
    for (const auto& [name, text, mode] :
         {std::tuple{"/.erlang.cookie", RandomCookie(), mode_t{0400}},
          std::tuple{"/enabled_plugins", std::string("[].\n"), mode_t{0644}},
          std::tuple{"/rabbitmq.conf", std::string("loopback_users.guest = true\n"),
                     mode_t{0644}}}) {
      Status s = WriteFile(home + name, text, mode);
      if (!s.ok()) return s.error();
    }
    std::unique_ptr<RabbitServer> rabbit(
        new RabbitServer(std::move(*dir), FreePort(), FreePort(), FreePort()));
    Status s = rabbit->StartEpmd();
    if (s.ok()) s = rabbit->StartNode();
    if (s.ok()) return rabbit;
    last = s.error();
  }
  return last;
}

std::map<std::string, std::string> RabbitServer::Env() const {
  const std::string& d = dir_.path();
  return {
      {"HOME", d},
      {"RABBITMQ_NODENAME", node_},
      {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODE_PORT", std::to_string(amqp_port_)},
      {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
      {"RABBITMQ_MNESIA_BASE", d + "/mnesia"},
      {"RABBITMQ_LOG_BASE", d + "/log"},
      {"RABBITMQ_PID_FILE", d + "/rabbitmq.pid"},
      {"RABBITMQ_CONFIG_FILE", d + "/rabbitmq"},
      {"RABBITMQ_ADVANCED_CONFIG_FILE", d + "/advanced.config"},
      {"RABBITMQ_CONF_ENV_FILE", d + "/rabbitmq-env.conf"},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", d + "/enabled_plugins"},
      {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
      {"ERL_EPMD_ADDRESS", "127.0.0.1"},
      // Without this the start script keeps a shell in front of the VM to translate
      // signals; with it the script execs the VM, so our child *is* the node and dies with
      // the test process (PR_SET_PDEATHSIG) instead of being orphaned.
      {"RUNNING_UNDER_SYSTEMD", "true"},
  };
}

SpawnOptions RabbitServer::Options(std::vector<std::string> argv, const std::string& log) const {
  SpawnOptions options;
  options.argv = std::move(argv);
  options.extra_env = Env();
  options.log_path = dir_.path() + "/" + log;
  options.run_as = kUser;
  options.cwd = dir_.path();
  return options;
}

Status RabbitServer::StartEpmd() {
  // Our own epmd as our child: the node registers with it instead of starting a daemon
  // that would outlive the test.
  auto child = ChildProcess::Spawn(
      Options({"epmd", "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"}, "epmd.log"));
  if (!child.ok()) return child.error();
  epmd_ = std::move(*child);
  if (!WaitForTcp(epmd_port_, 10s)) {
    return MakeError(Code::kUnavailable, "epmd did not listen on port " +
                                             std::to_string(epmd_port_) + ":\n" +
                                             TailOfFile(dir_.path() + "/epmd.log"));
  }
  return OkStatus();
}

Status RabbitServer::RunCtl(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv = {std::string(kScriptsDir) + "/rabbitmqctl", "-n", node_};
  argv.insert(argv.end(), args.begin(), args.end());
  auto code = RunCommand(Options(argv, "rabbitmqctl.log"), timeout);
  if (!code.ok()) return code.error();
  if (*code != 0) {
    return MakeError(Code::kUnavailable, "rabbitmqctl " + args.front() + " failed (exit " +
                                             std::to_string(*code) + "):\n" +
                                             TailOfFile(dir_.path() + "/rabbitmqctl.log"));
  }
  return OkStatus();
}

Status RabbitServer::StartNode() {
  if (process_ && process_->Running()) return OkStatus();
  auto child = ChildProcess::Spawn(
      Options({std::string(kScriptsDir) + "/rabbitmq-server"}, "rabbitmq-server.log"));
  if (!child.ok()) return child.error();
  process_ = std::move(*child);
  // await_startup fails at once while the node is not yet registered with epmd: retry it
  // until the node is up, gone, or too slow.
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (true) {
    Status s = RunCtl({"await_startup", "--timeout", "60"}, 70s);
    if (s.ok() && WaitForTcp(amqp_port_, 10s)) return OkStatus();
    std::string log = dir_.path() + "/rabbitmq-server.log";
    if (!process_->Running()) {
      return MakeError(Code::kUnavailable,
                       "rabbitmq-server exited during start-up:\n" + TailOfFile(log));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)process_->Kill9();
      return MakeError(Code::kDeadlineExceeded, "rabbitmq-server not ready after 120 s:\n" +
                                           TailOfFile(log) + "\n" +
                                           (s.ok() ? "" : s.error().message));
    }
    std::this_thread::sleep_for(500ms);
  }
}

Status RabbitServer::Stop() {
  if (!process_) return OkStatus();
  if (process_->Running()) {
    Status s = RunCtl({"stop"}, 60s);
    (void)s;  // if the CLI cannot reach the node, the signals below still stop it
  }
  auto code = process_->Stop(30s);
  process_.reset();
  if (!code.ok()) return code.error();
  return OkStatus();
}

Status RabbitServer::Kill9() {
  if (process_) (void)process_->Kill9();
  process_.reset();
  return OkStatus();
}

Status RabbitServer::Restart() {
  Status s = Stop();
  if (!s.ok()) return s;
  return StartNode();
}

}  // namespace minishop::testing

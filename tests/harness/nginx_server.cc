#include "harness/nginx_server.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef MINISHOP_SOURCE_DIR
#error "MINISHOP_SOURCE_DIR must name the source tree (deploy/nginx holds the templates)"
#endif

namespace minishop::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kPortAttempts = 3;  // a free port can be taken between FreePort() and bind()
constexpr const char* kUpstreamLine = "server ${MINISHOP_UPSTREAM}";

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(Code::kInternal, "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) return MakeError(Code::kInternal, "cannot write " + path);
  return OkStatus();
}

// MINISHOP_UPSTREAM for minishop.conf.template: the template's upstream block holds one
// `server ${MINISHOP_UPSTREAM} <parameters>;` line; for several gateways the value ends that
// line after each but the last and opens the next, with the same parameters (the rule of
// scripts/local-servers.sh, nginx_upstream_value).
Result<std::string> UpstreamValue(const std::string& tmpl, const std::vector<int>& ports) {
  size_t at = tmpl.find(kUpstreamLine);
  size_t end = at == std::string::npos ? at : tmpl.find(';', at);
  if (end == std::string::npos || ports.empty())
    return MakeError(Code::kInternal, std::string("no '") + kUpstreamLine + " …;' line to fill");
  const size_t from = at + std::string(kUpstreamLine).size();
  const std::string params = tmpl.substr(from, end - from);
  std::string value;
  for (int port : ports) {
    if (!value.empty()) value += params + ";\n    server ";
    value += "127.0.0.1:" + std::to_string(port);
  }
  return value;
}

}  // namespace

std::string RenderTemplate(const std::string& text,
                           const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out = text;
  for (const auto& [name, value] : vars) {
    const std::string key = "${" + name + "}";
    for (size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + value.size()))
      out.replace(at, key.size(), value);
  }
  return out;
}

NginxServer::NginxServer(TempDir dir, int port)
    : dir_(std::move(dir)), port_(port), error_log_(dir_.path() + "/logs/error.log") {}

NginxServer::~NginxServer() { (void)Stop(); }

Result<std::unique_ptr<NginxServer>> NginxServer::Start(const std::vector<int>& gateway_ports) {
  auto binary = FindProgram("nginx", "nginx", {"/usr/sbin"});
  if (!binary.ok()) return binary.error();
  Error last = MakeError(Code::kUnavailable, "no free port");
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    auto dir = TempDir::Create("minishop-nginx");
    if (!dir.ok()) return dir.error();
    std::unique_ptr<NginxServer> server(new NginxServer(std::move(*dir), FreePort()));
    Status s = server->Launch(gateway_ports);
    if (s.ok()) return server;
    if (s.error().code != Code::kUnavailable) return s.error();
    last = s.error();
  }
  return last;
}

Status NginxServer::Launch(const std::vector<int>& gateway_ports) {
  const std::string d = dir_.path();
  // The workers run as nobody when we are root: they must reach the prefix and web root.
  for (const char* sub : {"logs", "temp", "www"}) {
    if (Status s = dir_.GiveTo("nobody", sub); !s.ok()) return s;
  }
  const std::string src = std::string(MINISHOP_SOURCE_DIR) + "/deploy/nginx/";
  auto top = ReadFile(src + "nginx.local.conf.template");
  if (!top.ok()) return top.error();
  auto shared = ReadFile(src + "minishop.conf.template");
  if (!shared.ok()) return shared.error();
  auto upstream = UpstreamValue(*shared, gateway_ports);
  if (!upstream.ok()) return upstream.error();
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const rlim_t worker_files = std::min<rlim_t>(files.rlim_max, 65536);
  Status s = WriteFile(d + "/nginx.conf",
                       RenderTemplate(*top, {{"NGINX_PREFIX", d},
                                             {"NGINX_WORKERS", "1"},
                                             {"NGINX_WORKER_FILES", std::to_string(worker_files)},
                                             {"NGINX_WORKER_CONNECTIONS",
                                              std::to_string(worker_files * 9 / 10)}}));
  if (!s.ok()) return s;
  s = WriteFile(d + "/minishop.conf",
                RenderTemplate(*shared, {{"NGINX_LISTEN", "127.0.0.1:" + std::to_string(port_)},
                                         {"MINISHOP_UPSTREAM", *upstream},
                                         {"MINISHOP_WEB_ROOT", d + "/www"},
                                         // Nothing listens there: the dashboard's charts are
                                         // not under test.
                                         {"PROMETHEUS_UPSTREAM", "127.0.0.1:9"}}));
  if (!s.ok()) return s;
  if (s = WriteFile(d + "/www/index.html", "<!doctype html><title>MiniShop</title>\n"); !s.ok())
    return s;
  SpawnOptions options;
  options.argv = {"nginx", "-p", d, "-c", d + "/nginx.conf", "-e", error_log_, "-g", "daemon off;"};
  options.log_path = d + "/logs/stderr.log";
  auto child = ChildProcess::Spawn(options);
  if (!child.ok()) return child.error();
  process_ = std::move(*child);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!WaitForTcp(port_, 50ms)) {
    if (!process_->Running()) {
      // Most likely the port was taken: the caller retries on another one.
      return MakeError(Code::kUnavailable,
                       "nginx exited during start-up; log " + error_log_ + ":\n" +
                           TailOfFile(error_log_) + TailOfFile(options.log_path));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return MakeError(Code::kDeadlineExceeded, "nginx not listening after 10 s; log " + error_log_);
  }
  // nginx listens with `reuseport`: another process that bound the same port would get part
  // of our connections. The caller retries on another port.
  if (!ListensAlone(port_, process_->pid())) {
    (void)process_->Kill9();
    return MakeError(Code::kUnavailable,
                     "port " + std::to_string(port_) + " is shared with another process");
  }
  return OkStatus();
}

Status NginxServer::Stop() {
  if (!process_ || !process_->Running()) return OkStatus();
  auto code = process_->Stop(10s, SIGQUIT);
  if (!code.ok()) return code.error();
  return OkStatus();
}

}  // namespace minishop::testing

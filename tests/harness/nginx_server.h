// nginx in front of MiniShop gateways, configured from the shipped templates exactly as
// `./minishop up` uses them: deploy/nginx/nginx.local.conf.template at the top, including
// deploy/nginx/minishop.conf.template, whose upstream lists every gateway (one for the
// all-in-one topology, several for the split one, as scripts/local-servers.sh renders it).
//
// nginx runs as a child process of the test (master in the foreground, `daemon off`) on a
// free 127.0.0.1 port, with its prefix (config, logs, temp files, an empty web root) in a
// fresh temporary directory. The destructor stops it gracefully (SIGQUIT, then SIGKILL).
// Start() blocks until it answers, which takes milliseconds.
//
// Not thread-safe: call from the test's main thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "harness/process.h"

namespace minishop::testing {

class NginxServer {
 public:
  // Starts nginx balancing /api over 127.0.0.1:<each of gateway_ports> (at least one).
  // kUnavailable naming the package if nginx is not installed; kInternal if a template
  // cannot be read or has no gateway upstream line.
  static Result<std::unique_ptr<NginxServer>> Start(const std::vector<int>& gateway_ports);
  ~NginxServer();

  int port() const { return port_; }
  const std::string& error_log_path() const { return error_log_; }

  // Graceful stop: SIGQUIT (finish open requests), then SIGKILL after 10 s.
  Status Stop();

 private:
  NginxServer(TempDir dir, int port);
  Status Launch(const std::vector<int>& gateway_ports);
  TempDir dir_;
  int port_;
  std::string error_log_;
  std::unique_ptr<ChildProcess> process_;
};

// Replaces each ${NAME} in `text` whose NAME is a key of `vars`; leaves every other `$`
// (nginx's own variables) alone. The rule of scripts/render-template.
std::string RenderTemplate(const std::string& text,
                           const std::vector<std::pair<std::string, std::string>>& vars);

}  // namespace minishop::testing

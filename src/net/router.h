// Router: a table of routes (method, path pattern, who may call, handler), matched against a
// request's path. The table is a data structure: it can be listed and tested (e.g. that
// every admin route asks for the admin role), and a path that exists under another method
// gets 405 with an Allow header instead of 404.
//
// Patterns are absolute paths whose segments are literals or "{id}", which matches a
// positive decimal integer of at most 18 digits (ParseId) and is handed to the handler.
// Matching allocates nothing. A Router is built once at start-up and then only read: any
// thread may call Match concurrently.
#pragma once

#include <array>
#include <boost/beast/http/verb.hpp>
#include <ostream>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minishop::net {

// The segments of a request path; every route has at most 8, so splitting one allocates
// nothing.
using PathSegments = boost::container::small_vector<std::string_view, 8>;

// Splits "/a/b/c?x" into {"a","b","c"} (empty segments dropped, query ignored).
PathSegments SplitPath(std::string_view target);

// Parses a positive decimal id path segment; nullopt for anything else.
std::optional<int64_t> ParseId(std::string_view text);

// The value of query parameter `name` in `target` ("/p?a=1&b=2") parsed as ParseId does;
// nullopt when absent or not such a number.
std::optional<int64_t> QueryId(std::string_view target, std::string_view name);

// Who may call a route; the owner of the router enforces it before the handler runs.
enum class Access : uint8_t {
  kAnyone,   // no credentials
  kUser,     // a valid user token
  kAdmin,    // a valid token with the admin role
  kService,  // another MiniShop service (internal API: the shared service token)
};

// The ids a pattern's "{id}" segments matched, in order.
using PathIds = std::array<int64_t, 2>;

template <class Handler>
class Router {
 public:
  struct Route {
    boost::beast::http::verb method;
    std::string pattern;     // e.g. "/api/v1/sales/{id}/purchase"
    Access access;
    std::string_view group;  // metrics label (bounded set), e.g. "sales"
    Handler handler;
    std::vector<std::string> segments;  // the pattern split, "{id}" kept as is
  };

  struct Match {
    const Route* route = nullptr;  // null: no route for this method (see path_known)
    PathIds ids{};
    bool path_known = false;  // some route has this path under another method
    std::string allow;        // those methods, for the Allow header of a 405
  };

  void Add(boost::beast::http::verb method, std::string pattern, Access access,
           std::string_view group, Handler handler) {
    Route r{method, std::move(pattern), access, group, std::move(handler), {}};
    for (std::string_view s : SplitPath(r.pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
  }

  const std::vector<Route>& routes() const { return routes_; }

  Match Find(boost::beast::http::verb method, const PathSegments& path) const {
    Match m;
    for (const Route& r : routes_) {
      PathIds ids{};
      if (!Matches(r, path, ids)) continue;
      if (r.method == method) {
        m.route = &r;
        m.ids = ids;
        return m;
      }
      m.path_known = true;
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += boost::beast::http::to_string(r.method);
    }
    return m;
  }

 private:
  static bool Matches(const Route& r, const PathSegments& path, PathIds& ids) {
    if (r.segments.size() != path.size()) return false;
    size_t next_id = 0;
    for (size_t i = 0; i < path.size(); ++i) {
      if (r.segments[i] == "{id}") {
        std::optional<int64_t> id = ParseId(path[i]);
        if (!id || next_id >= ids.size()) return false;
        ids[next_id++] = *id;
      } else if (r.segments[i] != path[i]) {
        return false;
      }
    }
    return true;
  }

  std::vector<Route> routes_;
};

}  // namespace minishop::net

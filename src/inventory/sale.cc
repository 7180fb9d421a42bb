#include "inventory/sale.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

namespace minishop::inventory {
namespace {

Error Bad(const std::string& message) { return MakeError(Code::kInvalidArgument, message); }

// Reads an integer field; kInvalidArgument if missing (when required) or not an integer.
Status ReadInt(const nlohmann::json& body, const char* name, bool required, int64_t& out) {
  auto it = body.find(name);
  if (it == body.end())
    return required ? Status(Bad(std::string(name) + " is required")) : OkStatus();
  if (!it->is_number_integer()) return Bad(std::string(name) + " must be an integer");
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Bad(std::string(name) + " is out of range");
  }
  out = it->get<int64_t>();
  return OkStatus();
}

// Characters in a UTF-8 string (the JSON parser has checked that it is UTF-8).
size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The code point starting at text[i] of UTF-8 `text` (checked by the JSON parser), and its
// length in bytes.
char32_t CodePointAt(std::string_view text, size_t i, size_t& len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = b(0);
  if (lead < 0x80 || i + 1 >= text.size()) {
    len = 1;
    return lead;
  }
  if (lead < 0xE0) {
    len = 2;
    return (char32_t{lead & 0x1Fu} << 6) | (b(1) & 0x3Fu);
  }
  if (lead < 0xF0 && i + 2 < text.size()) {
    len = 3;
    return (char32_t{lead & 0x0Fu} << 12) | (char32_t{b(1) & 0x3Fu} << 6) | (b(2) & 0x3Fu);
  }
  len = std::min<size_t>(4, text.size() - i);
  return 0x10000;  // outside the BMP: nothing refused there
}

// Controls (C0 but those in `allowed`, DEL, C1), line and paragraph separators, bidi
// embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069: the "Trojan Source"
// reordering) and noncharacters U+FFFE/U+FFFF: invisible in a shop window, or a way to
// disguise a name or forge a log line.
bool HasControl(std::string_view text, std::string_view allowed) {
  for (size_t i = 0, len = 1; i < text.size(); i += len) {
    const char32_t c = CodePointAt(text, i, len);
    if (c < 0x20 && allowed.find(static_cast<char>(c)) == std::string_view::npos) return true;
    if ((c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
        (c >= 0x2066 && c <= 0x2069) || c == 0xFFFE || c == 0xFFFF) {
      return true;
    }
  }
  return false;
}

// True when `text` shows nothing: only spaces, including no-break and zero-width ones.
bool IsBlank(std::string_view text) {
  for (size_t i = 0, len = 1; i < text.size(); i += len) {
    const char32_t c = CodePointAt(text, i, len);
    const bool blank = c == ' ' || c == '\t' || c == 0xA0 || (c >= 0x2000 && c <= 0x200D) ||
                       c == 0x202F || c == 0x205F || c == 0x2060 || c == 0x3000 || c == 0xFEFF;
    if (!blank) return false;
  }
  return true;
}

Status ReadString(const nlohmann::json& body, const char* name, bool required, size_t max_chars,
                  std::string_view allowed_controls, std::string& out) {
  auto it = body.find(name);
  if (it == body.end())
    return required ? Status(Bad(std::string(name) + " is required")) : OkStatus();
  if (!it->is_string()) return Bad(std::string(name) + " must be a string");
  out = it->get<std::string>();
  if (CodePoints(out) > max_chars)
    return Bad(std::string(name) + " is too long (at most " + std::to_string(max_chars) +
               " characters)");
  if (HasControl(out, allowed_controls))
    return Bad(std::string(name) + " must not contain control characters");
  return OkStatus();
}

Status InRange(const char* name, int64_t v, int64_t min, int64_t max) {
  if (v >= min && v <= max) return OkStatus();
  return Bad(std::string(name) + " must be in " + std::to_string(min) + ".." + std::to_string(max));
}

Sale SaleFromRow(const pg::Rows& rows, size_t r) {
  Sale s;
  s.id = rows.GetInt64(r, 0).value_or(0);
  s.product_name = std::string(rows.Get(r, 1));
  s.product_description = std::string(rows.Get(r, 2));
  s.price_cents = rows.GetInt64(r, 3).value_or(0);
  s.stock_total = rows.GetInt64(r, 4).value_or(0);
  s.limit_per_user = rows.GetInt64(r, 5).value_or(1);
  s.starts_at_ms = rows.GetInt64(r, 6).value_or(0);
  s.ends_at_ms = rows.GetInt64(r, 7).value_or(0);
  s.rebuy_after_return = rows.Get(r, 8) == "t";
  return s;
}

constexpr const char* kSaleColumns =
    "id, product_name, product_description, price_cents, stock_total, limit_per_user, "
    "starts_at_ms, ends_at_ms, rebuy_after_return";

}  // namespace

Result<Sale> ParseNewSale(const nlohmann::json& body, int64_t now_ms) {
  if (!body.is_object()) return Bad("body must be a JSON object");
  static constexpr std::string_view kFields[] = {
      "product_name",   "product_description", "price_cents", "stock",
      "limit_per_user", "starts_at_ms",        "ends_at_ms",  "rebuy_after_return"};
  for (const auto& [key, value] : body.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      return Bad("unknown field " + nlohmann::json(key).dump() + " (a typo would be ignored)");
  }
  Sale s;
  Status st = ReadString(body, "product_name", true, kMaxNameChars, "", s.product_name);
  if (st.ok()) {
    st = ReadString(body, "product_description", false, kMaxDescriptionChars, "\n\t",
                    s.product_description);
  }
  if (st.ok()) st = ReadInt(body, "price_cents", true, s.price_cents);
  if (st.ok()) st = ReadInt(body, "stock", true, s.stock_total);
  if (st.ok()) st = ReadInt(body, "limit_per_user", false, s.limit_per_user);
  if (st.ok()) st = ReadInt(body, "starts_at_ms", true, s.starts_at_ms);
  if (st.ok()) st = ReadInt(body, "ends_at_ms", true, s.ends_at_ms);
  if (!st.ok()) return st.error();
  if (auto it = body.find("rebuy_after_return"); it != body.end()) {
    if (!it->is_boolean()) return Bad("rebuy_after_return must be a boolean");
    s.rebuy_after_return = it->get<bool>();
  }
  if (IsBlank(s.product_name)) return Bad("product_name must not be empty");
  if (st = InRange("price_cents", s.price_cents, 0, kMaxPriceCents); !st.ok()) return st.error();
  if (st = InRange("stock", s.stock_total, 1, kMaxStock); !st.ok()) return st.error();
  if (st = InRange("limit_per_user", s.limit_per_user, 1, kMaxLimitPerUser); !st.ok())
    return st.error();
  if (s.starts_at_ms <= 0) return Bad("starts_at_ms must be a positive epoch time in ms");
  if (s.starts_at_ms > now_ms + kMaxLeadMs) return Bad("starts_at_ms is more than 366 days ahead");
  if (s.ends_at_ms <= s.starts_at_ms) return Bad("ends_at_ms must be after starts_at_ms");
  if (s.ends_at_ms <= now_ms) return Bad("ends_at_ms is in the past: the sale would never open");
  if (s.ends_at_ms - s.starts_at_ms < kMinDurationMs)
    return Bad("ends_at_ms must be at least 1 s after starts_at_ms");
  if (s.ends_at_ms - s.starts_at_ms > kMaxDurationMs)
    return Bad("ends_at_ms must be at most 90 days after starts_at_ms");
  return s;
}

nlohmann::json SaleToJson(const Sale& sale, int64_t stock_left) {
  nlohmann::json j = {{"id", sale.id},
                      {"product_name", sale.product_name},
                      {"product_description", sale.product_description},
                      {"price_cents", sale.price_cents},
                      {"stock_total", sale.stock_total},
                      {"limit_per_user", sale.limit_per_user},
                      {"starts_at_ms", sale.starts_at_ms},
                      {"ends_at_ms", sale.ends_at_ms},
                      {"rebuy_after_return", sale.rebuy_after_return}};
  if (stock_left >= 0) j["stock_left"] = stock_left;
  return j;
}

Result<Sale> InsertSale(pg::Connection& db, Sale sale) {
  auto rows = db.Exec(
      "INSERT INTO sales (product_name, product_description, price_cents, stock_total, "
      "limit_per_user, starts_at_ms, ends_at_ms, rebuy_after_return)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
      {sale.product_name, sale.product_description, std::to_string(sale.price_cents),
       std::to_string(sale.stock_total), std::to_string(sale.limit_per_user),
       std::to_string(sale.starts_at_ms), std::to_string(sale.ends_at_ms),
       std::string(sale.rebuy_after_return ? "true" : "false")});
  if (!rows.ok()) return rows.error();
  sale.id = rows->GetInt64(0, 0).value_or(0);
  return sale;
}

Result<std::vector<Sale>> LoadSales(pg::Connection& db) {
  auto rows =
      db.Exec(std::string("SELECT ") + kSaleColumns + " FROM sales ORDER BY starts_at_ms, id");
  if (!rows.ok()) return rows.error();
  std::vector<Sale> sales;
  sales.reserve(rows->size());
  for (size_t r = 0; r < rows->size(); ++r) sales.push_back(SaleFromRow(*rows, r));
  return sales;
}

Result<Sale> LoadSale(pg::Connection& db, int64_t sale_id) {
  auto rows = db.Exec(std::string("SELECT ") + kSaleColumns + " FROM sales WHERE id = $1",
                      {std::to_string(sale_id)});
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return MakeError(Code::kNotFound, "no such sale");
  return SaleFromRow(*rows, 0);
}

const Sale* SaleCatalog::Snapshot::Find(int64_t id) const {
  auto it = index.find(id);
  return it == index.end() ? nullptr : &sales[it->second];
}

SaleCatalog::SaleCatalog() : snapshot_(std::make_shared<Snapshot>()) {}

void SaleCatalog::Update(std::vector<Sale> sales, std::unordered_map<int64_t, int64_t> stock_left) {
  auto snap = std::make_shared<Snapshot>();
  snap->sales = std::move(sales);
  std::stable_sort(snap->sales.begin(), snap->sales.end(),
                   [](const Sale& a, const Sale& b) { return a.starts_at_ms < b.starts_at_ms; });
  for (size_t i = 0; i < snap->sales.size(); ++i) snap->index[snap->sales[i].id] = i;
  snap->stock_left = std::move(stock_left);
  std::lock_guard lock(mu_);
  snapshot_ = std::move(snap);
  version_.fetch_add(1, std::memory_order_release);
}

void SaleCatalog::Upsert(const Sale& sale, int64_t stock_left) {
  std::shared_ptr<const Snapshot> current = Get();
  std::vector<Sale> sales;
  for (const Sale& s : current->sales) {
    if (s.id != sale.id) sales.push_back(s);
  }
  sales.push_back(sale);
  auto stock = current->stock_left;
  stock[sale.id] = stock_left;
  Update(std::move(sales), std::move(stock));
}

std::shared_ptr<const SaleCatalog::Snapshot> SaleCatalog::Get() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

}  // namespace minishop::inventory

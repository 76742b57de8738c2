// Parsing of scripted request paths and the payload generators used by the scenarios.
#include "scenario.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wsc::server {
namespace {

// Parses a whole string as an unsigned decimal number; strtoull alone would accept "12abc",
// "-1" or "".
bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (errno != 0) return false;
  *out = v;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reasons come from a URL, so tests need %20 etc. to put spaces or odd bytes in them.
std::optional<std::string> PercentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

std::optional<Scenario> ParseScenario(const std::string& path) {
  Scenario sc;
  if (path.empty() || path[0] != '/') return sc;
  const std::vector<std::string> p = SplitPath(path);
  const std::string& head = p[0];

  if (head == "close") {
    // /close/<code> or /close/<code>/<reason>; the reason may itself hold '/'.
    uint64_t code = 0;
    if (p.size() < 2 || !ParseU64(p[1], &code) || code > 65535) return std::nullopt;
    sc.kind = Scenario::Kind::kClose;
    sc.close_code = static_cast<int>(code);
    const std::string prefix = "/close/" + p[1];
    if (path.size() > prefix.size() + 1) {
      auto reason = PercentDecode(path.substr(prefix.size() + 1));
      // A Close payload is at most 125 bytes: 2 for the code, 123 for the reason.
      if (!reason || reason->size() > 123) return std::nullopt;
      sc.close_reason = *reason;
    } else if (p.size() > 2 && !p[2].empty()) {
      return std::nullopt;
    }
    return sc;
  }
  if (head == "drop" && p.size() == 1) {
    sc.kind = Scenario::Kind::kDrop;
    return sc;
  }
  if (head == "send") {
    if (p.size() != 2 || !ParseU64(p[1], &sc.count) || sc.count > kMaxScriptedMessageBytes) {
      return std::nullopt;
    }
    sc.kind = Scenario::Kind::kSend;
    return sc;
  }
  if (head == "send-text-invalid-utf8" && p.size() == 1) {
    sc.kind = Scenario::Kind::kSendInvalidUtf8;
    return sc;
  }
  if (head == "fragmented" && p.size() == 1) {
    sc.kind = Scenario::Kind::kFragmented;
    return sc;
  }
  if (head == "flood") {
    if (p.size() != 3 || !ParseU64(p[1], &sc.count) || !ParseU64(p[2], &sc.size) ||
        sc.size > kMaxScriptedMessageBytes) {
      return std::nullopt;
    }
    sc.kind = Scenario::Kind::kFlood;
    return sc;
  }
  if (head == "no-pong" && p.size() == 1) {
    sc.kind = Scenario::Kind::kNoPong;
    return sc;
  }
  if (head == "silent" && p.size() == 1) {
    sc.kind = Scenario::Kind::kSilent;
    return sc;
  }
  if (head == "reject") {
    uint64_t status = 0;
    if (p.size() != 2 || !ParseU64(p[1], &status) || status < 400 || status > 599) {
      return std::nullopt;
    }
    sc.kind = Scenario::Kind::kReject;
    sc.http_status = static_cast<int>(status);
    return sc;
  }
  return sc;  // any other path: plain echo
}

void FillPattern(unsigned char* payload, size_t n) {
  for (size_t i = 0; i < n; ++i) payload[i] = static_cast<unsigned char>(i % 251);
}

void FillFloodMessage(unsigned char* payload, size_t n, uint64_t seq) {
  for (size_t i = 0; i < n; ++i) {
    payload[i] = i < 8 ? static_cast<unsigned char>(seq >> (8 * (7 - i)))
                       : static_cast<unsigned char>(i % 251);
  }
}

std::vector<size_t> FragmentedFrameSizes() { return {6, 11, 5}; }

}  // namespace wsc::server

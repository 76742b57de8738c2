#include "tls_session_cache.hpp"

namespace wsc::detail {

SSL_SESSION *TlsSessionCache::find(const std::string &key) const {
  const auto found = sessions_.find(key);
  return found == sessions_.end() ? nullptr : found->second.get();
}

void TlsSessionCache::store(const std::string &key, SSL_SESSION *session) {
  std::unique_ptr<SSL_SESSION, SessionFree> owned(session);
  if (!SSL_SESSION_is_resumable(session)) return;
  auto found = sessions_.find(key);
  if (found != sessions_.end()) {
    found->second = std::move(owned);
    return;
  }
  // Evicting an arbitrary entry is enough for a bound: this is a cache.
  if (sessions_.size() >= kMaxEntries) sessions_.erase(sessions_.begin());
  sessions_.emplace(key, std::move(owned));
}

}  // namespace wsc::detail

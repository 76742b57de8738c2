// Status words and the exception type, generated from the one status table.
#include <wsc/client.hpp>

namespace wsc {

const char *status_text(Status s) noexcept {
  switch (static_cast<int>(s)) {
#define WSC_TEXT_CASE(name, value, fatal, text) \
  case value:                                   \
    return text;
    WSC_STATUS_MAP(WSC_TEXT_CASE)
#undef WSC_TEXT_CASE
  }
  return "unknown status";
}

bool status_is_fatal(Status s) noexcept {
  switch (static_cast<int>(s)) {
#define WSC_FATAL_CASE(name, value, fatal, text) \
  case value:                                    \
    return fatal != 0;
    WSC_STATUS_MAP(WSC_FATAL_CASE)
#undef WSC_FATAL_CASE
  }
  return true;
}

static std::string error_message(Status status, const std::string &detail) {
  std::string m = status_text(status);
  if (!detail.empty()) m += ": " + detail;
  return m;
}

Error::Error(Status status, const std::string &detail)
    : std::runtime_error(error_message(status, detail)), status_(status), detail_(detail) {}

}  // namespace wsc

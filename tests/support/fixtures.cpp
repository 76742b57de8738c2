#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>

namespace wsc::testing {

std::unique_ptr<PeerProcess> start_python_echo(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   source_dir() + "/tests/peers/py_echo_server.py"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return std::make_unique<PeerProcess>(argv);
}

std::unique_ptr<PeerProcess> start_hostile_server(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   source_dir() + "/tests/peers/hostile_server.py"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return std::make_unique<PeerProcess>(argv);
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string lower(std::string s) {
  for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ws_url(int port, const std::string &path) {
  return "ws://127.0.0.1:" + std::to_string(port) + path;
}

size_t Recorder::error_count(Status status) {
  std::lock_guard<std::mutex> lock(mutex);
  size_t n = 0;
  for (const auto &error : errors) n += error.first == status;
  return n;
}

Callbacks Recorder::callbacks(bool with_messages) {
  Callbacks cb;
  auto note = [this](auto &&fn) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      fn();
    }
    changed_.notify_all();
  };
  cb.on_open = [this, note] { note([&] { ++opens; }); };
  if (with_messages) {
    cb.on_message = [this, note](MessageType type, std::string_view data) {
      note([&] { messages.push_back(Message{type, std::string(data)}); });
    };
  }
  cb.on_error = [this, note](Status s, std::string_view detail) {
    note([&] { errors.emplace_back(s, std::string(detail)); });
  };
  cb.on_close = [this, note](int code, std::string_view reason) {
    note([&] {
      ++closes;
      close_code = code;
      close_reason = std::string(reason);
    });
  };
  cb.on_state = [this, note](State from, State to) {
    note([&] { states.emplace_back(from, to); });
  };
  cb.on_drain = [this, note] { note([&] { ++drains; }); };
  return cb;
}

bool Recorder::wait_for(const std::function<bool()> &pred, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  return changed_.wait_for(lock, timeout, pred);
}

std::string pattern(size_t n, bool text) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = text ? static_cast<char>('a' + i % 26) : static_cast<char>((i * 7 + 3) % 256);
  }
  return s;
}

void expect_trickled_frame(Client &c) {
  const auto big = c.recv(std::chrono::seconds(10));
  ASSERT_TRUE(big.has_value()) << "the trickled 1 MiB frame did not arrive";
  ASSERT_EQ(big->data.size(), size_t{1} << 20);
  for (size_t i = 0; i < big->data.size(); ++i) {
    ASSERT_EQ(static_cast<unsigned char>(big->data[i]), i * 7 % 251) << "byte " << i;
  }
  const auto done = c.recv(std::chrono::seconds(10));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->data, "done");
}

}  // namespace wsc::testing

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace wsc::testing {

SilentListener::SilentListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 64) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot open a silent listener");
  }
  port_ = ntohs(addr.sin_port);
}

SilentListener::~SilentListener() { ::close(fd_); }

}  // namespace wsc::testing

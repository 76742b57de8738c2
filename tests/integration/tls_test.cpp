// TLS against real peers: Python websockets over ssl for verification,
// versions and ciphers; Node ws over https for mutual TLS. Certificates are
// generated at test time by tests/support/make_certs.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <thread>
#include <vector>

#include "fixtures.hpp"
#include "numbered_bytes.hpp"

namespace wsc::testing {
namespace {

using std::chrono::seconds;

std::string cert_dir() {
  static const std::string dir = [] {
    std::string d =
        std::string(std::getenv("WSC_BUILD_DIR") ? std::getenv("WSC_BUILD_DIR") : "/tmp") +
        "/test-certs";
    const std::string cmd = "bash '" + source_dir() + "/tests/support/make_certs.sh' '" + d + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make_certs.sh failed");
    return d;
  }();
  return dir;
}

std::string cert(const std::string &name) { return cert_dir() + "/" + name; }

std::unique_ptr<PeerProcess> tls_peer(const std::string &name,
                                      std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--tls-cert", cert(name + ".pem"), "--tls-key",
                                   cert(name + ".key")};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_python_echo(args);
}

// The scripted server (hostile_server.py) over TLS with the test CA's server certificate.
std::unique_ptr<PeerProcess> hostile_tls_peer() {
  return start_hostile_server({"--tls-cert", cert("server.pem"), "--tls-key", cert("server.key")});
}

std::string wss(int port, const std::string &host = "localhost", const std::string &path = "/") {
  return "wss://" + host + ":" + std::to_string(port) + path;
}

Options trusting_test_ca() {
  Options o;
  o.tls.ca_file = cert("ca.pem");
  return o;
}

TEST(Tls, TrustedServerEchoesAndReportsWhatWasNegotiated) {
  auto peer = tls_peer("server");
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer->port(), "localhost", "/tls"), trusting_test_ca(), rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  const TlsInfo info = c.tls_info();
  EXPECT_EQ(info.version, "TLSv1.3");
  EXPECT_FALSE(info.cipher.empty());
  std::lock_guard<std::mutex> lock(rec.mutex);
  // The server saw SNI for the URL's host name.
  EXPECT_NE(rec.messages[0].data.find("\"sni\": \"localhost\""), std::string::npos)
      << rec.messages[0].data;
  EXPECT_NE(rec.messages[0].data.find(info.cipher), std::string::npos);
}

// Large messages over wss arrive as many 16 KiB TLS records, split across
// socket reads wherever TCP cuts them; sent ones are sealed a batch at a
// time. Every size around the record and read boundaries comes back intact,
// with several messages in flight.
TEST(Tls, LargeMessagesEchoIntactAcrossRecordsAndReads) {
  auto peer = tls_peer("server");
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer->port()), trusting_test_ca(), rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  const std::vector<size_t> sizes = {1,           16383,       16384,       16385,
                                     65536 + 3,   262144 - 1,  262144 + 14, 1048576 + 7,
                                     3145728 + 1, 1048576 + 7, 100000,      16384};
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_EQ(c.try_send(MessageType::Binary, numbered_bytes(sizes[i], static_cast<uint32_t>(i))),
              Status::WSC_OK);
  }
  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == sizes.size(); }, seconds(60)));
  std::lock_guard<std::mutex> lock(rec.mutex);
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_EQ(rec.messages[i].data.size(), sizes[i]) << "message " << i;
    EXPECT_TRUE(rec.messages[i].data == numbered_bytes(sizes[i], static_cast<uint32_t>(i)))
        << "message " << i << " of " << sizes[i] << " bytes differs";
  }
}

// Pull mode with a small receive queue: reading stops in the middle of the
// TLS stream (what lws read but OpenSSL did not is set aside) and resumes as
// the application takes messages. Nothing is lost, repeated or reordered.
TEST(Tls, PausedReadingKeepsTheUnreadCiphertext) {
  auto peer = tls_peer("server");
  Loop loop;
  Options o = trusting_test_ca();
  o.recv_queue_bytes = 200 * 1024;
  Client c(loop, wss(peer->port()), o);
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  constexpr int kMessages = 40;
  const std::vector<size_t> sizes = {70000, 5, 150001, 16384, 33333};
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(c.try_send(MessageType::Binary,
                         numbered_bytes(sizes[i % sizes.size()], static_cast<uint32_t>(i))),
              Status::WSC_OK);
  }
  // Let the server's echoes pile up against the paused reader first.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < kMessages; ++i) {
    const std::optional<Message> m = c.recv(Millis{10000});
    ASSERT_TRUE(m) << "message " << i;
    const size_t size = sizes[i % sizes.size()];
    ASSERT_EQ(m->data.size(), size) << "message " << i;
    EXPECT_TRUE(m->data == numbered_bytes(size, static_cast<uint32_t>(i))) << "message " << i;
    // Slowly, so reading pauses and resumes many times.
    if (i % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Issue 11: a second connection to the same server resumes the first one's
// TLS session (a TLS 1.3 ticket read after the handshake; a TLS 1.2 ticket),
// unless resumption is turned off.
TEST(Tls, RepeatedConnectsResumeTheSession) {
  for (const char *max : {"1.3", "1.2"}) {
    auto peer = tls_peer("server", {"--tls-max", max});
    Loop loop;
    auto echo_once = [&](const Options &o) {
      Client c(loop, wss(peer->port()), o);
      EXPECT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK) << max;
      c.send_text("x");
      EXPECT_TRUE(c.recv(seconds(10)).has_value()) << max;  // tickets come with data
      const bool resumed = c.tls_info().resumed;
      c.close();
      EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK) << max;
      return resumed;
    };
    Options o = trusting_test_ca();
    EXPECT_FALSE(echo_once(o)) << max;
    EXPECT_TRUE(echo_once(o)) << max;
    EXPECT_TRUE(echo_once(o)) << max;
    Options off = o;
    off.tls.session_resumption = false;
    EXPECT_FALSE(echo_once(off)) << max;
    // A session made with verification off is never offered to a verifying
    // connection (and the other way round).
    Options unverified = o;
    unverified.tls.verify = false;
    EXPECT_FALSE(echo_once(unverified)) << max;
  }
}

// Issue 11: reconnects resume the session too.
TEST(Tls, ReconnectsResumeTheSession) {
  auto peer = tls_peer("server");
  Loop loop;
  Options o = trusting_test_ca();
  o.reconnect = true;
  o.reconnect_min = std::chrono::milliseconds(10);
  o.reconnect_max = std::chrono::milliseconds(20);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> resumed;
  Client *client = nullptr;
  Callbacks cb;
  cb.on_open = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    resumed.push_back(client && client->tls_info().resumed);
    changed.notify_all();
  };
  // The server closes every connection with 1012 (service restart): retried.
  std::unique_lock<std::mutex> lock(mutex);
  Client c(loop, wss(peer->port(), "localhost", "/close/1012"), o, cb);
  client = &c;
  ASSERT_TRUE(changed.wait_for(lock, seconds(20), [&] { return resumed.size() >= 3; }));
  client = nullptr;
  lock.unlock();
  c.close();
  // The first open may race the pointer above; the later ones resumed.
  EXPECT_TRUE(resumed[1]);
  EXPECT_TRUE(resumed[2]);
}

// Issue 11: a clean close ends TLS with a close_notify alert, not a bare
// TCP close (which a strict server reads as a truncation attack).
TEST(Tls, CleanCloseSendsCloseNotify) {
  auto peer = hostile_tls_peer();
  Loop loop;
  {
    Client c(loop, wss(peer->port(), "localhost", "/tls-close"), trusting_test_ca());
    ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
    c.close();
    ASSERT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  }
  Client ask(loop, wss(peer->port(), "localhost", "/last-close/tls-close"), trusting_test_ca());
  const auto answer = ask.recv(seconds(15));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->data, "close_notify");
}

// Over TLS the pieces split records: a record half-read when a pause comes
// waits in OpenSSL for its rest, and the frame still arrives whole.
TEST(Tls, LargeFrameInPiecesWithPausesArrivesWhole) {
  auto peer = hostile_tls_peer();
  Loop loop;
  Client c(loop, wss(peer->port(), "localhost", "/trickle-big"), trusting_test_ca());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  expect_trickled_frame(c);
}

TEST(Tls, IpAddressIsVerifiedAgainstTheCertificate) {
  auto peer = tls_peer("server");
  Loop loop;
  Client c(loop, wss(peer->port(), "127.0.0.1"), trusting_test_ca());
  EXPECT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
}

TEST(Tls, SystemStoreByDefaultRejectsTheTestCa) {
  auto peer = tls_peer("server");
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer->port()), Options{}, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETLS);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("local issuer"), std::string::npos) << rec.errors[0].second;
}

struct BadCert {
  const char *name;
  const char *reason;  // words expected in the error detail
};

class TlsFailures : public ::testing::TestWithParam<BadCert> {};

TEST_P(TlsFailures, FatalWithTheReasonAndOneAttempt) {
  const BadCert k = GetParam();
  auto peer = tls_peer(k.name);
  Options o = trusting_test_ca();
  o.reconnect = true;  // a certificate failure is never retried
  o.reconnect_min = std::chrono::milliseconds(20);
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer->port()), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETLS);
  EXPECT_EQ(c.stats().connect_attempts, 1u);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_NE(rec.errors[0].second.find(k.reason), std::string::npos) << rec.errors[0].second;
}

INSTANTIATE_TEST_SUITE_P(Certs, TlsFailures,
                         ::testing::Values(BadCert{"wronghost", "mismatch"},
                                           BadCert{"expired", "expired"},
                                           BadCert{"selfsigned", "self-signed"}),
                         [](const auto &info) { return std::string(info.param.name); });

TEST(Tls, VerificationOffAcceptsAnyCertificate) {
  for (const char *name : {"selfsigned", "wronghost", "expired"}) {
    auto peer = tls_peer(name);
    Options o;
    o.tls.verify = false;
    Loop loop;
    Client c(loop, wss(peer->port()), o);
    EXPECT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK) << name;
  }
}

TEST(Tls, MinimumVersion13AgainstATls12OnlyServerFails) {
  auto peer = tls_peer("server", {"--tls-max", "1.2"});
  Loop loop;
  Options o = trusting_test_ca();
  o.tls.min_version = 13;
  Recorder rec;
  Client c(loop, wss(peer->port()), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETLS);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("TLS handshake"), std::string::npos) << rec.errors[0].second;

  // The same server with the default minimum negotiates TLS 1.2.
  Client ok(loop, wss(peer->port()), trusting_test_ca());
  ASSERT_EQ(ok.wait(State::Open, seconds(10)), Status::WSC_OK);
  EXPECT_EQ(ok.tls_info().version, "TLSv1.2");
}

TEST(Tls, OneSuiteCipherListsAreWhatGetsNegotiated) {
  auto peer12 = tls_peer("server", {"--tls-max", "1.2"});
  auto peer13 = tls_peer("server");
  Loop loop;
  Options o12 = trusting_test_ca();
  o12.tls.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
  Client c12(loop, wss(peer12->port()), o12);
  Options o13 = trusting_test_ca();
  o13.tls.tls13_ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  o13.tls.groups = "P-256";
  Client c13(loop, wss(peer13->port()), o13);
  // Two TLS profiles on one loop at the same time.
  ASSERT_EQ(c12.wait(State::Open, seconds(10)), Status::WSC_OK);
  ASSERT_EQ(c13.wait(State::Open, seconds(10)), Status::WSC_OK);
  EXPECT_EQ(c12.tls_info().cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
  EXPECT_EQ(c13.tls_info().cipher, "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(c13.tls_info().group, "prime256v1");
}

TEST(Tls, ServerNameOverridesSniAndVerification) {
  auto peer = tls_peer("server");
  Options o = trusting_test_ca();
  o.tls.server_name = "localhost";
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer->port(), "127.0.0.1", "/tls"), o, rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_NE(rec.messages[0].data.find("\"sni\": \"localhost\""), std::string::npos);
}

TEST(Tls, PlainServerIsATlsErrorNotAHang) {
  // The server answers the ClientHello with an HTTP error and hangs up.
  auto peer = start_python_echo();
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer->port()), trusting_test_ca(), rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETLS);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_NE(rec.errors[0].second.find("TLS handshake"), std::string::npos) << rec.errors[0].second;
}

TEST(Tls, BadFilesAndStringsFailSynchronouslyNamingTheCulprit) {
  Loop loop;
  auto expect_einval = [&](Options o, const std::string &words) {
    try {
      Client c(loop, "wss://localhost:1/", o);
      ADD_FAILURE() << "accepted: " << words;
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), Status::WSC_EINVAL);
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  Options o;
  o.tls.ca_file = "/nonexistent/ca.pem";
  expect_einval(o, "/nonexistent/ca.pem");
  o = Options{};
  o.tls.ca_file = cert("server.key");
  expect_einval(o, "server.key");
  o = Options{};
  o.tls.cert_file = cert("client.pem");
  o.tls.key_file = cert("server.key");
  expect_einval(o, "does not match");
  o = Options{};
  o.tls.cert_file = cert("client.pem");
  expect_einval(o, "TLS_KEY_FILE");
  o = Options{};
  o.tls.ciphers = "NOT-A-CIPHER";
  expect_einval(o, "NOT-A-CIPHER");
  o = Options{};
  o.tls.tls13_ciphersuites = "TLS_NOPE";
  expect_einval(o, "TLS_NOPE");
  o = Options{};
  o.tls.groups = "P-999";
  expect_einval(o, "P-999");
}

class MutualTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string node_dir = source_dir() + "/tests/peers/node";
    if (access((node_dir + "/node_modules/ws").c_str(), F_OK) != 0) {
      GTEST_SKIP() << "npm peers not installed (scripts/bootstrap.sh installs them)";
    }
    peer_ = std::make_unique<PeerProcess>(std::vector<std::string>{
        "node", node_dir + "/mtls_echo_server.js", "--cert", cert("server.pem"), "--key",
        cert("server.key"), "--ca", cert("ca.pem")});
  }
  static void TearDownTestSuite() { peer_.reset(); }
  // A skip in SetUpTestSuite does not stop the tests from running.
  void SetUp() override {
    if (!peer_) GTEST_SKIP() << "no Node peer";
  }
  static inline std::unique_ptr<PeerProcess> peer_;
};

TEST_F(MutualTls, ClientCertificateIsAccepted) {
  Options o = trusting_test_ca();
  o.tls.cert_file = cert("client.pem");
  o.tls.key_file = cert("client.key");
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer_->port()), o, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  c.send_text("whoami");
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.messages[0].data, "wsc test client");
}

TEST_F(MutualTls, WithoutAClientCertificateTheHandshakeFails) {
  Loop loop;
  Recorder rec;
  Client c(loop, wss(peer_->port()), trusting_test_ca(), rec.callbacks());
  const Status s = c.wait(State::Closed, seconds(10));
  EXPECT_TRUE(s == Status::WSC_ETLS || s == Status::WSC_EHANDSHAKE) << status_text(s);
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.opens, 0);
}

}  // namespace
}  // namespace wsc::testing

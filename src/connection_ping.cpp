// Connection::ping: a ping on demand (the pool's health check, wsc_ping).
// Without a payload it rides on the heartbeat's ping: asking for one sets
// ping_due_, the writer sends it, and on_pong settles every ping that was
// asked for before that ping went out. With a payload it is a ping frame of
// its own, settled by the pong that echoes the payload.
#include <algorithm>

#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

Status Connection::ping(Millis timeout, std::string payload, PingDone done) {
  // RFC 6455 §5.5: a control frame carries at most 125 payload bytes.
  if (!done || timeout.count() <= 0 || payload.size() > 125) return Status::WSC_EINVAL;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_ || state_ != State::Open) return Status::WSC_ECLOSED;
  }
  auto self = shared_from_this();
  if (!loop_->post([self, timeout, payload = std::move(payload), done = std::move(done)]() mutable {
        self->start_user_ping(timeout, std::move(payload), std::move(done));
      })) {
    return Status::WSC_ECLOSED;
  }
  return Status::WSC_OK;
}

void Connection::start_user_ping(Millis timeout, std::string payload, PingDone done) {
  if (!attempt_ || !attempt_->established || !attempt_->wsi || state() != State::Open) {
    emit_ping_done(done, Status::WSC_ECLOSED, std::chrono::microseconds(0));
    return;
  }
  auto ping = std::make_unique<UserPing>();
  ping->done = std::move(done);
  ping->requested_at = std::chrono::steady_clock::now();
  ping->payload = std::move(payload);
  const bool heartbeat = ping->payload.empty();
  UserPing *raw = ping.get();
  ping->owner = this;
  ping->deadline.start(loop_->timers(), timeout, &Connection::on_user_ping_deadline, raw);
  user_pings_.push_back(std::move(ping));
  if (heartbeat) ping_due_ = true;
  write_soon();
}

bool Connection::append_user_pings(FrameBatch &batch) {
  for (auto &p : user_pings_) {
    if (p->payload.empty() || p->sent_at) continue;
    if (!append_control(batch, FrameOpcode::Ping, p->payload.data(), p->payload.size()))
      return false;
    p->sent_at = Clock::now();
  }
  return true;
}

bool Connection::settle_payload_ping(std::string_view payload) {
  for (auto &p : user_pings_) {
    if (p->sent_at && !p->payload.empty() && p->payload == payload) {
      const auto rtt =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - *p->sent_at);
      end_user_ping(p.get(), Status::WSC_OK, rtt);
      return true;
    }
  }
  return false;
}

void Connection::settle_user_pings(Status status, std::chrono::microseconds rtt) {
  std::vector<UserPing *> due;
  for (auto &p : user_pings_) {
    // A pong answers only pings asked for before the last ping went out;
    // later ones wait for the ping that ping_due_ still asks for.
    // Payload pings wait for their own echo.
    if (status != Status::WSC_OK || (p->payload.empty() && p->requested_at <= ping_sent_at_))
      due.push_back(p.get());
  }
  for (UserPing *p : due) end_user_ping(p, status, rtt);
}

void Connection::end_user_ping(UserPing *ping, Status status, std::chrono::microseconds rtt) {
  auto found = std::find_if(user_pings_.begin(), user_pings_.end(),
                            [ping](const auto &p) { return p.get() == ping; });
  if (found == user_pings_.end()) return;
  std::unique_ptr<UserPing> owned = std::move(*found);
  user_pings_.erase(found);
  owned->deadline.cancel();
  emit_ping_done(owned->done, status,
                 status == Status::WSC_OK ? rtt : std::chrono::microseconds(0));
}

void Connection::emit_ping_done(const PingDone &done, Status status,
                                std::chrono::microseconds rtt) {
  if (detached_.load()) return;
  std::lock_guard<std::mutex> lock(callback_mutex_);
  if (!detached_.load()) done(status, rtt);
}

void Connection::on_user_ping_deadline(void *ping) {
  auto *raw = static_cast<UserPing *>(ping);
  if (auto self = raw->owner->weak_from_this().lock()) {
    self->end_user_ping(raw, Status::WSC_ETIMEDOUT, std::chrono::microseconds(0));
  }
}

}  // namespace wsc::detail

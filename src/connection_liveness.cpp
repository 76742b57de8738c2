// Connection, loop thread: heartbeat (ping/pong with RTT) and the idle and
// write timeouts.
#include <poll.h>

#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

void Connection::start_liveness_timers() {
  last_rx_ = Clock::now();
  last_write_progress_ = last_rx_;
  ping_due_ = pong_pending_ = false;
  if (options_->ping_interval.count() > 0) {
    ping_timer_.start_coarse(loop_->timers(), options_->ping_interval,
                             fire<&Connection::on_ping_timer>, this);
  }
  if (options_->idle_timeout.count() > 0) {
    idle_timer_.start_coarse(loop_->timers(), options_->idle_timeout,
                             fire<&Connection::on_idle_timer>, this);
  }
}

bool Connection::socket_has_unread_data() const {
  // A callback that blocked the loop may have kept lws from reading a pong
  // that already arrived; judge a deadline only after reading it. Not while
  // reading is paused: nothing would read it, and asking again every few
  // milliseconds would keep the loop awake forever.
  if (!attempt_ || !attempt_->wsi || input_paused(*attempt_)) return false;
  pollfd p{lws_get_socket_fd(attempt_->wsi), POLLIN, 0};
  return p.fd >= 0 && ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void Connection::on_ping_timer() {
  if (!attempt_ || !attempt_->established || state() != State::Open) return;
  const auto next = last_rx_ + options_->ping_interval;
  if (Clock::now() < next) {
    // Traffic proves liveness: a busy connection sends no extra pings.
    ping_timer_.start_coarse(loop_->timers(), until(next), fire<&Connection::on_ping_timer>, this);
    return;
  }
  ping_due_ = true;
  write_soon();
  ping_timer_.start_coarse(loop_->timers(), options_->ping_interval,
                           fire<&Connection::on_ping_timer>, this);
}

void Connection::on_pong_deadline() {
  if (!attempt_) return;
  if (socket_has_unread_data()) {
    pong_timer_.start(loop_->timers(), std::chrono::milliseconds(5),
                      fire<&Connection::on_pong_deadline>, this);
    return;
  }
  kill_attempt(Status::WSC_ETIMEDOUT, "no pong from " + url_.host_header() + " within " +
                                          std::to_string(options_->pong_timeout.count()) +
                                          " ms (pong timeout)");
}

void Connection::emit_control(ControlFrame kind, std::string_view payload) {
  if (callbacks_.on_control) emit([&] { callbacks_.on_control(kind, payload); });
}

void Connection::on_pong(std::string_view payload) {
  const auto now = Clock::now();
  if (!user_pings_.empty() && settle_payload_ping(payload)) return;
  // Unsolicited (a one-way heartbeat from the server), or an old ping's.
  if (!pong_pending_) return emit_control(ControlFrame::Pong, payload);
  pong_pending_ = false;
  const int64_t rtt =
      std::chrono::duration_cast<std::chrono::microseconds>(now - ping_sent_at_).count();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.rtt_us_last = rtt;
    // The same smoothing TCP uses for its RTT estimate (RFC 6298, alpha 1/8).
    stats_.rtt_us_smoothed = stats_.rtt_us_smoothed < 0
                                 ? rtt
                                 : stats_.rtt_us_smoothed + (rtt - stats_.rtt_us_smoothed) / 8;
  }
  loop_->metrics().rtt(url_, std::chrono::microseconds(rtt));
  settle_user_pings(Status::WSC_OK, std::chrono::microseconds(rtt));
}

void Connection::on_idle_timer() {
  if (!attempt_ || !attempt_->established) return;
  auto again = [&](std::chrono::microseconds delay) {
    idle_timer_.start_coarse(loop_->timers(), delay, fire<&Connection::on_idle_timer>, this);
  };
  const auto deadline = last_rx_ + options_->idle_timeout;
  if (Clock::now() < deadline) return again(until(deadline));
  // Paused by a full receive queue: data is waiting in the socket, so the
  // peer is not idle; the application is. Look again one period later.
  if (input_paused(*attempt_)) return again(options_->idle_timeout);
  if (socket_has_unread_data()) return again(std::chrono::milliseconds(5));
  kill_attempt(Status::WSC_ETIMEDOUT, "nothing received from " + url_.host_header() + " for " +
                                          std::to_string(options_->idle_timeout.count()) +
                                          " ms (idle timeout)");
}

void Connection::arm_write_timer() {
  if (options_->write_timeout.count() <= 0 || write_timer_.armed()) return;
  write_timer_.start(loop_->timers(), until(last_write_progress_ + options_->write_timeout),
                     fire<&Connection::on_write_timer>, this);
}

void Connection::on_write_timer() {
  if (!attempt_ || !attempt_->established) return;
  bool pending = !inflight_.empty();
  if (!pending) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending = !send_queue_.empty();
  }
  if (!pending) return;
  if (Clock::now() < last_write_progress_ + options_->write_timeout) return arm_write_timer();
  kill_attempt(Status::WSC_ETIMEDOUT, "the send queue made no progress for " +
                                          std::to_string(options_->write_timeout.count()) +
                                          " ms: the peer stopped reading (write timeout)");
}

}  // namespace wsc::detail

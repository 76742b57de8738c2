#include "engine.hpp"

#include <algorithm>

#include "loop_core.hpp"

namespace wsc::detail {

RpcEngine::RpcEngine(std::shared_ptr<LoopCore> loop, std::unique_ptr<WireProtocol> wire,
                     RpcOptions options, Callbacks user)
    : loop_(std::move(loop)),
      wire_(std::move(wire)),
      options_(std::move(options)),
      user_(std::move(user)) {}

RpcEngine::~RpcEngine() = default;

Callbacks RpcEngine::callbacks() {
  auto self = shared_from_this();
  Callbacks cb;
  cb.on_open = [self] {
    if (self->user_.on_open) self->user_.on_open();
  };
  cb.on_message = [self](MessageType type, std::string_view data) { self->on_message(type, data); };
  cb.on_error = [self](Status status, std::string_view detail) { self->on_error(status, detail); };
  cb.on_state = [self](State from, State to) { self->on_state(from, to); };
  cb.on_close = user_.on_close;
  cb.on_drain = user_.on_drain;
  return cb;
}

void RpcEngine::attach(Client *client, std::string endpoint) {
  Completions failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    client_ = client;
    endpoint_ = std::move(endpoint);
    if (link_ == Link::Open) flush_waiting(failed);
  }
  run(failed);
}

void RpcEngine::detach() {
  Completions failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    client_ = nullptr;
    link_ = Link::Closed;
    fail_calls(true, Status::WSC_ECLOSED, "the RPC client was destroyed", failed);
    fail_calls(false, Status::WSC_ECLOSED, "the RPC client was destroyed", failed);
  }
  run(failed);
  // The timer belongs to the loop thread: stop it there.
  auto self = shared_from_this();
  loop_->post([self] { self->timer_.cancel(); });
}

bool RpcEngine::on_loop_thread() const { return loop_->on_loop_thread(); }

// ---- calls (any thread) ---------------------------------------------------

Status RpcEngine::admit(size_t calls) const {
  if (link_ == Link::Closed || !client_) return Status::WSC_ECLOSED;
  if (link_ == Link::Reconnecting && !options_.wait_for_reconnect) return Status::WSC_ESTATE;
  if (pending_.size() + calls > options_.max_outstanding) return Status::WSC_EAGAIN;
  return Status::WSC_OK;
}

static void check_call(const WireProtocol &wire, std::string_view method, std::string_view params) {
  if (method.empty()) throw Error(Status::WSC_EINVAL, "the method name is empty");
  const std::string why = wire.check_payload(params, true);
  if (!why.empty()) throw Error(Status::WSC_EINVAL, why);
}

static void throw_admit(Status s, size_t max_outstanding) {
  switch (s) {
    case Status::WSC_OK:
      return;
    case Status::WSC_EAGAIN:
      throw Error(s, std::to_string(max_outstanding) + " calls outstanding (max_outstanding)");
    case Status::WSC_ESTATE:
      throw Error(s, "reconnecting, and wait_for_reconnect is off");
    default:
      throw Error(s, "the connection is closed");
  }
}

void RpcEngine::call(std::string_view method, std::string_view params, Done done, Millis timeout) {
  if (!done) throw Error(Status::WSC_EINVAL, "a call needs a completion");
  check_call(*wire_, method, params);
  std::lock_guard<std::mutex> lock(mutex_);
  throw_admit(admit(1), options_.max_outstanding);
  const uint64_t id = next_id_;
  std::string frame = wire_->request(id, method, params);
  const bool open = link_ == Link::Open;
  if (open) send_locked(frame);
  ++next_id_;
  register_call(id, open ? std::string() : std::move(frame), std::move(done), timeout, open);
}

void RpcEngine::call_batch(std::vector<RpcClient::BatchCall> calls, Millis timeout) {
  if (calls.empty()) throw Error(Status::WSC_EINVAL, "an empty batch");
  if (!wire_->supports_batch()) throw Error(Status::WSC_EINVAL, "the protocol has no batches");
  for (const auto &c : calls) {
    if (!c.done) throw Error(Status::WSC_EINVAL, "a call needs a completion");
    check_call(*wire_, c.method, c.params);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  throw_admit(admit(calls.size()), options_.max_outstanding);
  std::vector<std::string> frames;
  for (size_t i = 0; i < calls.size(); ++i) {
    frames.push_back(wire_->request(next_id_ + i, calls[i].method, calls[i].params));
  }
  // Not open: each waits as a call of its own; the answers are the same.
  const bool open = link_ == Link::Open;
  if (open) send_locked(wire_->batch(frames));
  for (size_t i = 0; i < calls.size(); ++i) {
    register_call(next_id_ + i, open ? std::string() : std::move(frames[i]),
                  std::move(calls[i].done), timeout, open);
  }
  next_id_ += calls.size();
}

void RpcEngine::notify(std::string_view method, std::string_view params) {
  check_call(*wire_, method, params);
  std::string frame = wire_->notification(method, params);
  std::lock_guard<std::mutex> lock(mutex_);
  if (link_ == Link::Closed || !client_)
    throw Error(Status::WSC_ECLOSED, "the connection is closed");
  // A notification has no deadline to wait by: the Client's own send queue
  // keeps it until the connection (re)opens.
  send_locked(frame);
}

void RpcEngine::on(std::string method, Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (handler)
    handlers_[std::move(method)] = std::make_shared<const Handler>(std::move(handler));
  else
    handlers_.erase(method);
}

void RpcEngine::register_call(uint64_t id, std::string frame, Done done, Millis timeout,
                              bool sent) {
  Pending p;
  p.done = std::move(done);
  p.frame = std::move(frame);
  p.sent = sent;
  p.deadline = deadlines_.end();
  const Millis limit = timeout.count() < 0 ? options_.default_timeout : timeout;
  if (limit.count() > 0) {
    const auto when = Clock::now() + limit;
    p.deadline = deadlines_.emplace(when, id);
    schedule_deadline(when);
  }
  if (!sent) waiting_.push_back(id);
  pending_.emplace(id, std::move(p));
}

void RpcEngine::send_locked(const std::string &frame) {
  const Status s = client_->try_send(wire_->frame_type(), frame);
  if (s == Status::WSC_EAGAIN) throw Error(s, "the send queue is full");
  if (s != Status::WSC_OK) throw Error(s, "send failed");
}

void RpcEngine::schedule_deadline(Clock::time_point when) {
  if (when >= timer_due_) return;  // the timer fires earlier and re-arms
  timer_due_ = when;
  std::weak_ptr<RpcEngine> weak = shared_from_this();
  loop_->post([weak] {
    if (auto self = weak.lock()) self->arm_timer();
  });
}

void RpcEngine::take(std::unordered_map<uint64_t, Pending>::iterator it, RpcResponse response,
                     Completions &out) {
  // An unsent call stays in waiting_; flush_waiting skips ids that are gone.
  if (it->second.deadline != deadlines_.end()) deadlines_.erase(it->second.deadline);
  loop_->metrics().rpc_done(endpoint_, response.status);
  out.push_back({std::move(it->second.done), std::move(response)});
  pending_.erase(it);
}

void RpcEngine::fail_calls(bool sent, Status status, const std::string &detail, Completions &out) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto next = std::next(it);
    if (it->second.sent == sent) {
      RpcResponse r;
      r.status = status;
      r.detail = detail;
      take(it, std::move(r), out);
    }
    it = next;
  }
  if (!sent) waiting_.clear();
}

void RpcEngine::flush_waiting(Completions &out) {
  if (!client_) return;
  for (uint64_t id : waiting_) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // already ended (deadline)
    const Status s = client_->try_send(wire_->frame_type(), it->second.frame);
    if (s != Status::WSC_OK) {
      RpcResponse r;
      r.status = s;
      r.detail = "could not send the call after the connection opened";
      take(it, std::move(r), out);
      continue;
    }
    it->second.sent = true;
    std::string().swap(it->second.frame);
  }
  waiting_.clear();
}

void RpcEngine::run(Completions &completions) {
  for (auto &c : completions) {
    try {
      c.done(std::move(c.response));
    } catch (...) {
      // A completion's exception has nowhere to go; it must not reach the loop.
    }
  }
  completions.clear();
}

// ---- loop thread ------------------------------------------------------------

void RpcEngine::arm_timer() {
  Clock::time_point due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (deadlines_.empty()) {
      timer_due_ = Clock::time_point::max();
    } else {
      due = deadlines_.begin()->first;
      timer_due_ = due;
    }
  }
  if (due == Clock::time_point{}) {
    timer_.cancel();
    return;
  }
  const auto delay = std::max(Clock::duration::zero(), due - Clock::now());
  std::weak_ptr<RpcEngine> weak = shared_from_this();
  timer_.start(loop_->timers(), std::chrono::duration_cast<std::chrono::microseconds>(delay),
               [weak] {
                 if (auto self = weak.lock()) self->on_timer();
               });
}

void RpcEngine::on_timer() {
  Completions expired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto it = pending_.find(deadlines_.begin()->second);
      RpcResponse r;
      r.status = Status::WSC_ETIMEDOUT;
      r.detail = it->second.sent ? "no answer before the deadline"
                                 : "the connection did not open before the deadline";
      take(it, std::move(r), expired);
    }
  }
  arm_timer();
  run(expired);
}

void RpcEngine::on_error(Status status, std::string_view detail) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    link_error_ = status;
    link_error_detail_ = std::string(detail);
  }
  if (user_.on_error) user_.on_error(status, detail);
}

void RpcEngine::on_state(State from, State to) {
  Completions failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string why = link_error_ == Status::WSC_OK
                                ? std::string()
                                : std::string(": ") + status_text(link_error_) +
                                      (link_error_detail_.empty() ? "" : ": " + link_error_detail_);
    if (link_ == Link::Closed) {
      // Detached: nothing more to do.
    } else if (to == State::Open) {
      link_ = Link::Open;
      link_error_ = Status::WSC_OK;
      link_error_detail_.clear();
      flush_waiting(failed);
    } else if (to == State::Reconnecting) {
      // Calls already sent went down with the connection; the peer may or
      // may not have run them, and will not answer on the next one.
      fail_calls(true, Status::WSC_ELOST, "the connection dropped before the answer" + why, failed);
      if (!options_.wait_for_reconnect) {
        fail_calls(false, Status::WSC_ELOST, "the connection dropped" + why, failed);
      }
      link_ = Link::Reconnecting;
    } else if (to == State::Closed) {
      link_ = Link::Closed;
      const bool clean = link_error_ == Status::WSC_OK;
      fail_calls(true, clean ? Status::WSC_ECLOSED : Status::WSC_ELOST,
                 clean ? "the connection closed before the answer"
                       : "the connection ended before the answer" + why,
                 failed);
      fail_calls(false, clean ? Status::WSC_ECLOSED : link_error_,
                 "the connection ended before the call was sent" + why, failed);
    }
  }
  run(failed);
  if (user_.on_state) user_.on_state(from, to);
}

void RpcEngine::report(Status status, const std::string &detail) {
  if (user_.on_error) user_.on_error(status, detail);
}

void RpcEngine::on_message(MessageType type, std::string_view data) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!client_) return;  // detached
  }
  RpcDecoded &decoded = decoded_;
  decoded.messages.clear();  // empty unless the last frame threw
  decoded.problems.clear();
  decoded.batch = false;
  try {
    wire_->decode(type, data, decoded);
  } catch (const std::exception &e) {
    decoded.problems.push_back(std::string("could not decode: ") + e.what());
  }
  for (const auto &problem : decoded.problems) report(Status::WSC_EDECODE, problem);
  Completions &answered = answered_;  // run() leaves it empty
  std::vector<std::string> replies;
  for (auto &in : decoded.messages) {
    switch (in.kind) {
      case RpcIncoming::Kind::Result:
      case RpcIncoming::Kind::Error:
        if (std::string problem = handle_answer(in, answered); !problem.empty())
          report(Status::WSC_EDECODE, problem);
        break;
      case RpcIncoming::Kind::Request:
      case RpcIncoming::Kind::Notification:
        if (std::string reply = handle_request(in); !reply.empty()) replies.push_back(reply);
        break;
    }
  }
  const bool batch = decoded.batch;
  decoded.messages.clear();  // nothing of this frame kept until the next one
  decoded.problems.clear();
  run(answered);
  if (replies.empty()) return;
  if (batch && wire_->supports_batch()) replies = {wire_->batch(replies)};
  for (const auto &reply : replies) {
    Status s = Status::WSC_ECLOSED;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (client_) s = client_->try_send(wire_->frame_type(), reply);
    }
    if (s != Status::WSC_OK) report(s, "could not send the reply to a request");
  }
}

std::string RpcEngine::handle_answer(RpcIncoming &in, Completions &out) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pending_.find(in.id);
  if (it == pending_.end() || !it->second.sent) {
    return "an answer to call " + std::to_string(in.id) +
           ", which is not waiting (answered already, timed out, failed or never made)";
  }
  RpcResponse r;
  if (in.kind == RpcIncoming::Kind::Error) {
    r.status = Status::WSC_EREMOTE;
    r.error = std::move(in.error);
    r.detail = r.error.message;
  } else {
    r.result = std::move(in.payload);
  }
  take(it, std::move(r), out);
  return {};
}

std::string RpcEngine::handle_request(RpcIncoming &in) {
  std::shared_ptr<const Handler> handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = handlers_.find(in.method);
    if (it != handlers_.end()) handler = it->second;
  }
  const bool request = in.kind == RpcIncoming::Kind::Request;
  if (!handler) {
    return request ? wire_->error(in.reply_id, wire_->method_not_found(in.method)) : std::string();
  }
  // A request's responder; if the handler keeps it, it answers (or its
  // destructor answers an internal error) and nothing is sent from here.
  RpcResponder responder;
  if (request) {
    responder = RpcResponder(
        std::make_unique<RpcResponder::State>(RpcResponder::State{weak_from_this(), in.reply_id}));
  }
  RpcReply reply;
  std::string failure;  // the handler itself failed
  try {
    reply = (*handler)(in.payload, responder);
    if (reply.later) return {};  // a responder still here answers as it goes
  } catch (const std::exception &e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (request && !responder) return {};  // it was moved out: its holder answers
  responder.state_.reset();              // answered here
  if (!failure.empty()) {
    if (!request) {
      report(Status::WSC_EINTERNAL, "the handler of " + in.method + " failed: " + failure);
      return {};
    }
    reply.ok = false;
    reply.error = wire_->internal_error(failure);
  } else if (!request) {
    const std::string why = wire_->check_payload(reply.ok ? reply.result : reply.error.data, false);
    if (!why.empty())
      report(Status::WSC_EINTERNAL, "the handler of " + in.method + " answered " + why);
    return {};
  }
  bool invalid = false;
  return reply_frame(in.reply_id, reply, &invalid);
}

std::string RpcEngine::reply_frame(std::string_view reply_id, const RpcReply &reply,
                                   bool *invalid) const {
  const std::string why = wire_->check_payload(reply.ok ? reply.result : reply.error.data, false);
  *invalid = !why.empty();
  try {
    if (*invalid) return wire_->error(reply_id, wire_->internal_error("it answered " + why));
    return reply.ok ? wire_->result(reply_id, reply.result) : wire_->error(reply_id, reply.error);
  } catch (const Error &e) {
    *invalid = true;
    return wire_->error(reply_id, wire_->internal_error(e.what()));
  }
}

Status RpcEngine::answer_later(std::string_view reply_id, const RpcReply &reply) {
  bool invalid = false;
  const std::string frame = reply_frame(reply_id, reply, &invalid);
  Status s = Status::WSC_ECLOSED;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (client_) s = client_->try_send(wire_->frame_type(), frame);
  }
  return s == Status::WSC_OK && invalid ? Status::WSC_EINVAL : s;
}

}  // namespace wsc::detail

namespace wsc {

RpcResponder::RpcResponder() noexcept = default;
RpcResponder::RpcResponder(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
RpcResponder::RpcResponder(RpcResponder &&other) noexcept = default;

RpcResponder &RpcResponder::operator=(RpcResponder &&other) noexcept {
  if (this != &other) {
    if (state_) abandon();
    state_ = std::move(other.state_);
  }
  return *this;
}

RpcResponder::~RpcResponder() {
  if (state_) abandon();
}

Status RpcResponder::result(std::string_view encoded) noexcept {
  return answer([&](detail::RpcEngine &e, std::string_view id) {
    return e.answer_later(id, RpcReply::success(std::string(encoded)));
  });
}

Status RpcResponder::error(const RpcError &error) noexcept {
  return answer([&](detail::RpcEngine &e, std::string_view id) {
    return e.answer_later(id, RpcReply::failure(error.code, error.message, error.data));
  });
}

void RpcResponder::abandon() noexcept {
  answer([](detail::RpcEngine &e, std::string_view id) {
    return e.answer_later(
        id, RpcReply{false, {}, e.internal_error("the handler never answered"), false});
  });
}

Status RpcResponder::answer(
    const std::function<Status(detail::RpcEngine &, std::string_view)> &send) noexcept {
  if (!state_) return Status::WSC_ESTATE;
  const std::unique_ptr<State> state = std::move(state_);  // once, even if it fails
  const auto engine = state->engine.lock();
  if (!engine) return Status::WSC_ECLOSED;
  try {
    return send(*engine, state->reply_id);
  } catch (const Error &e) {
    return e.status();
  } catch (...) {
    return Status::WSC_ENOMEM;
  }
}

}  // namespace wsc

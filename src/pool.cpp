#include "pool.hpp"

#include <algorithm>

#include "loop_core.hpp"
#include "url.hpp"

namespace wsc::detail {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// How often the loop thread looks at idle connections (idle and lifetime
// limits, min_idle, the breaker's cool-down): a quarter of the shortest of
// those periods, between 5 ms and 1 s.
microseconds tick_period(const PoolOptions &o) {
  milliseconds shortest{4000};
  for (milliseconds d : {o.max_idle_time, o.max_lifetime,
                         o.breaker_threshold ? o.breaker_cooldown : milliseconds(0)}) {
    if (d.count() > 0) shortest = std::min(shortest, d);
  }
  return std::clamp<microseconds>(shortest / 4, milliseconds(5), milliseconds(1000));
}

PoolMember make_client(Loop &loop, std::string_view url, const Options &options,
                       Callbacks callbacks) {
  auto client = std::make_shared<Client>(loop, url, options, std::move(callbacks));
  return PoolMember{client.get(), client};
}

}  // namespace

std::shared_ptr<Pool> Pool::create(Loop &loop, std::string_view url, const Options &options,
                                   const PoolOptions &pool_options, PoolMemberFactory factory) {
  parse_url(url);  // throws Error(WSC_EINVAL) naming what is wrong
  validate(options);
  validate(pool_options);
  Options pooled = options;
  pooled.reconnect = false;  // the pool replaces a lost connection instead
  std::shared_ptr<Pool> pool(new Pool(loop, std::string(url), std::move(pooled), pool_options,
                                      factory ? std::move(factory) : make_client));
  pool->start_ticking();
  // Gauges and totals for the loop's metrics; ~Pool takes it back.
  Pool *raw = pool.get();
  pool->core_->metrics().add_pool(raw, pool->url_, [raw] { return raw->stats(); });
  {
    std::lock_guard<std::mutex> lock(pool->mutex_);
    pool->top_up(Clock::now());
  }
  return pool;
}

Pool::Pool(Loop &loop, std::string url, Options options, PoolOptions pool_options,
           PoolMemberFactory factory)
    : loop_(loop),
      core_(loop.core()),
      url_(std::move(url)),
      options_(std::move(options)),
      pool_options_(pool_options),
      factory_(std::move(factory)),
      tick_period_(tick_period(pool_options_)),
      tick_(std::make_shared<Timer>()) {}

Pool::~Pool() {
  core_->metrics().remove_pool(this);
  // The timer belongs to the loop thread: hand it over to be destroyed
  // there (if the loop has stopped, its timer queue is already cleared).
  if (!core_->on_loop_thread()) core_->post([tick = std::move(tick_)] {});
}

void Pool::start_ticking() {
  std::weak_ptr<Pool> weak = shared_from_this();
  core_->post([weak] {
    if (auto self = weak.lock()) self->on_tick();
  });
}

// ---- any thread -----------------------------------------------------------

Status Pool::acquire(std::optional<Clock::time_point> deadline, bool wait, Grant &out) {
  if (wait && core_->on_loop_thread()) return Status::WSC_ESTATE;
  Graveyard graveyard;  // destroyed after the lock is released
  Lock lock(mutex_);
  ++waiting_;
  auto take = [&]() -> Status {
    for (;;) {
      if (closed_) return Status::WSC_ECLOSED;
      const auto now = Clock::now();
      while (!idle_.empty()) {
        const uint64_t id = idle_.back();
        idle_.pop_back();
        Slot &slot = slots_.at(id);
        const auto check_after = pool_options_.check_after_idle;
        if (check_after.count() > 0 && now - slot.idle_since >= check_after) {
          start_check(id, slot, graveyard);
          continue;
        }
        slot.phase = Slot::Phase::Busy;
        ++totals_.acquired;
        out = Grant{id, slot.member.client, slot.member.owner.get()};
        return Status::WSC_OK;
      }
      // Fail fast rather than queue behind an endpoint that keeps refusing.
      if (breaker_ == BreakerState::Open && now < breaker_until_) {
        ++totals_.breaker_rejections;
        return Status::WSC_EBREAKER;
      }
      if (!wait) return Status::WSC_EAGAIN;
      // Lazy growth: one open (or check) under way per waiter at most.
      const size_t pending = count(Slot::Phase::Opening) + count(Slot::Phase::Checking);
      bool probe = false;
      if (pending < waiting_ && slots_.size() < pool_options_.max_conns &&
          dial_allowed(now, probe)) {
        open_slot(deadline, probe);
        continue;  // the factory may have failed at once
      }
      if (!deadline) {
        changed_.wait(lock);
      } else if (changed_.wait_until(lock, *deadline) == std::cv_status::timeout) {
        ++totals_.acquire_timeouts;
        return Status::WSC_EWAIT;
      }
    }
  };
  const Status status = take();
  --waiting_;
  return status;
}

void Pool::release(uint64_t id) {
  Client *client = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = slots_.find(id);
    if (found == slots_.end() || found->second.phase != Slot::Phase::Busy) return;
    client = found->second.member.client;
  }
  // The caller still holds the slot alone: what it left unread belongs to
  // no one else, so drop it before the next user could see it.
  uint64_t discarded = 0;
  Message unread;
  while (client->try_recv(Millis(0), unread) == Status::WSC_OK) ++discarded;

  Graveyard graveyard;
  Lock lock(mutex_);
  totals_.discarded_messages += discarded;
  Slot &slot = slots_.at(id);
  const auto now = Clock::now();
  const auto lifetime = pool_options_.max_lifetime;
  if (closed_) {
    remove(id, graveyard);
  } else if (slot.dead || client->closing() || client->state() != State::Open) {
    ++totals_.replaced;
    remove(id, graveyard);
    top_up(now);
  } else if (lifetime.count() > 0 && now - slot.opened_at >= lifetime) {
    ++totals_.rotated;
    remove(id, graveyard);
    top_up(now);
  } else {
    slot.phase = Slot::Phase::Idle;
    slot.idle_since = now;
    idle_.push_back(id);
  }
  changed_.notify_all();
}

PoolStats Pool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats s = totals_;
  s.idle = idle_.size();
  s.opening = count(Slot::Phase::Opening);
  s.checking = count(Slot::Phase::Checking);
  s.busy = 0;
  for (const auto &[id, slot] : slots_) {
    if (slot.phase == Slot::Phase::Busy && !slot.dead) ++s.busy;
  }
  s.open = s.idle + s.checking + s.busy;
  s.waiting = waiting_;
  s.breaker = breaker_;
  return s;
}

void Pool::shutdown() {
  Graveyard graveyard;
  Lock lock(mutex_);
  closed_ = true;
  std::vector<uint64_t> unused;
  for (const auto &[id, slot] : slots_) {
    if (slot.phase != Slot::Phase::Busy) unused.push_back(id);
  }
  for (uint64_t id : unused) remove(id, graveyard);
  changed_.notify_all();
}

// ---- under mutex_ ---------------------------------------------------------

size_t Pool::count(Slot::Phase phase) const {
  if (phase == Slot::Phase::Idle) return idle_.size();
  return static_cast<size_t>(std::count_if(
      slots_.begin(), slots_.end(), [phase](const auto &s) { return s.second.phase == phase; }));
}

bool Pool::dial_allowed(Clock::time_point now, bool &probe) {
  if (closed_ || core_->stopping()) return false;
  switch (breaker_) {
    case BreakerState::Closed:
      return true;
    case BreakerState::Open:
      if (now < breaker_until_) return false;
      breaker_ = BreakerState::HalfOpen;
      probe_in_flight_ = false;
      [[fallthrough]];
    case BreakerState::HalfOpen:
      if (probe_in_flight_) return false;
      probe = true;
      return true;
  }
  return false;
}

void Pool::open_slot(std::optional<Clock::time_point> deadline, bool probe) {
  const uint64_t id = ++next_id_;
  Options options = options_;
  if (deadline) {
    // The deadline cascades: the open gets what is left of the acquire's.
    auto left = duration_cast<milliseconds>(*deadline - Clock::now());
    left = std::max(left, milliseconds(1));
    if (options.connect_timeout.count() == 0 || left < options.connect_timeout) {
      options.connect_timeout = left;
    }
  }
  std::weak_ptr<Pool> weak = shared_from_this();
  Callbacks callbacks;
  callbacks.on_state = [weak, id](State, State to) {
    auto self = weak.lock();
    if (!self) return;
    if (to == State::Open) {
      self->on_open(id);
    } else if (to != State::Connecting) {
      self->on_lost(id);
    }
  };
  Slot &slot = slots_[id];
  slot.probe = probe;
  if (probe) probe_in_flight_ = true;
  try {
    slot.member = factory_(loop_, url_, options, std::move(callbacks));
  } catch (...) {
    // Only a stopped loop gets here (URL and options were checked).
    slots_.erase(id);
    if (probe) probe_in_flight_ = false;
    ++totals_.open_failures;
  }
}

void Pool::top_up(Clock::time_point now) {
  if (closed_) return;
  while (idle_.size() + count(Slot::Phase::Checking) + count(Slot::Phase::Opening) <
             pool_options_.min_idle &&
         slots_.size() < pool_options_.max_conns) {
    bool probe = false;
    if (!dial_allowed(now, probe)) return;
    open_slot(std::nullopt, probe);
  }
}

void Pool::start_check(uint64_t id, Slot &slot, Graveyard &graveyard) {
  slot.phase = Slot::Phase::Checking;
  ++totals_.health_checks;
  std::weak_ptr<Pool> weak = shared_from_this();
  const Status s = slot.member.client->ping(pool_options_.ping_timeout,
                                            [weak, id](Status status, std::chrono::microseconds) {
                                              if (auto self = weak.lock())
                                                self->on_checked(id, status);
                                            });
  if (s != Status::WSC_OK) {
    ++totals_.health_check_failures;
    ++totals_.replaced;
    remove(id, graveyard);
  }
}

void Pool::forget_idle(uint64_t id) {
  idle_.erase(std::remove(idle_.begin(), idle_.end(), id), idle_.end());
}

void Pool::remove(uint64_t id, Graveyard &graveyard) {
  auto found = slots_.find(id);
  if (found == slots_.end()) return;
  if (found->second.phase == Slot::Phase::Idle) forget_idle(id);
  if (found->second.probe) probe_in_flight_ = false;
  graveyard.push_back(std::move(found->second.member));
  slots_.erase(found);
}

void Pool::trip(Clock::time_point now) {
  breaker_ = BreakerState::Open;
  breaker_until_ = now + pool_options_.breaker_cooldown;
  probe_in_flight_ = false;
  ++totals_.breaker_trips;
}

// ---- loop thread ------------------------------------------------------------

void Pool::on_open(uint64_t id) {
  Graveyard graveyard;
  Lock lock(mutex_);
  auto found = slots_.find(id);
  if (found == slots_.end() || found->second.phase != Slot::Phase::Opening) return;
  Slot &slot = found->second;
  ++totals_.opened;
  if (closed_) return remove(id, graveyard);
  slot.phase = Slot::Phase::Idle;
  slot.probe = false;
  slot.opened_at = slot.idle_since = Clock::now();
  idle_.push_back(id);
  // Any open that succeeds shows the endpoint is back.
  consecutive_failures_ = 0;
  breaker_ = BreakerState::Closed;
  probe_in_flight_ = false;
  changed_.notify_all();
}

void Pool::on_lost(uint64_t id) {
  Graveyard graveyard;
  Lock lock(mutex_);
  auto found = slots_.find(id);
  if (found == slots_.end() || found->second.dead) return;
  Slot &slot = found->second;
  const auto now = Clock::now();
  switch (slot.phase) {
    case Slot::Phase::Opening: {
      ++totals_.open_failures;
      ++consecutive_failures_;
      const uint32_t threshold = pool_options_.breaker_threshold;
      if (slot.probe ||
          (threshold && consecutive_failures_ >= threshold && breaker_ == BreakerState::Closed)) {
        trip(now);
      }
      // No new dial from here: a refusing server would be redialled at
      // once, in a loop. The tick or the next acquire dials again.
      remove(id, graveyard);
      break;
    }
    case Slot::Phase::Idle:
    case Slot::Phase::Checking:
      ++totals_.replaced;
      remove(id, graveyard);
      top_up(now);
      break;
    case Slot::Phase::Busy:
      slot.dead = true;  // replaced when its user releases it
      break;
  }
  changed_.notify_all();
}

void Pool::on_checked(uint64_t id, Status status) {
  Graveyard graveyard;
  Lock lock(mutex_);
  auto found = slots_.find(id);
  if (found == slots_.end() || found->second.phase != Slot::Phase::Checking) return;
  Slot &slot = found->second;
  const auto now = Clock::now();
  if (status == Status::WSC_OK && !closed_) {
    slot.phase = Slot::Phase::Idle;
    slot.idle_since = now;
    idle_.push_back(id);
  } else {
    if (!closed_) {
      ++totals_.health_check_failures;
      ++totals_.replaced;
    }
    remove(id, graveyard);
    top_up(now);
  }
  changed_.notify_all();
}

void Pool::on_tick() {
  {
    Graveyard graveyard;
    Lock lock(mutex_);
    if (closed_) return;
    const auto now = Clock::now();
    const auto lifetime = pool_options_.max_lifetime;
    const auto max_idle = pool_options_.max_idle_time;
    std::vector<uint64_t> oldest_first = idle_;
    for (uint64_t id : oldest_first) {
      const Slot &slot = slots_.at(id);
      if (lifetime.count() > 0 && now - slot.opened_at >= lifetime) {
        ++totals_.rotated;
        remove(id, graveyard);
      } else if (max_idle.count() > 0 && idle_.size() > pool_options_.min_idle &&
                 now - slot.idle_since >= max_idle) {
        ++totals_.idle_closed;
        remove(id, graveyard);
      }
    }
    top_up(now);
    if (!graveyard.empty()) changed_.notify_all();
  }
  std::weak_ptr<Pool> weak = shared_from_this();
  tick_->start(core_->timers(), tick_period_, [weak] {
    if (auto self = weak.lock()) self->on_tick();
  });
}

}  // namespace wsc::detail

namespace wsc {

void validate(const PoolOptions &o) {
  auto bad = [](const std::string &what) { throw Error(Status::WSC_EINVAL, what); };
  if (o.max_conns < 1 || o.max_conns > 1000000) bad("max_conns must be 1..1000000");
  if (o.min_idle > o.max_conns) bad("min_idle must not exceed max_conns");
  const std::pair<Millis, const char *> durations[] = {
      {o.check_after_idle, "check_after_idle"}, {o.ping_timeout, "ping_timeout"},
      {o.max_idle_time, "max_idle_time"},       {o.max_lifetime, "max_lifetime"},
      {o.breaker_cooldown, "breaker_cooldown"},
  };
  for (const auto &[d, name] : durations) {
    if (d.count() < 0 || d > std::chrono::hours(24)) bad(std::string(name) + " must be 0..24 h");
  }
  if (o.check_after_idle.count() > 0 && o.ping_timeout.count() == 0) {
    bad("ping_timeout must be > 0 when check_after_idle is on");
  }
  if (o.breaker_threshold > 0 && o.breaker_cooldown.count() == 0) {
    bad("breaker_cooldown must be > 0 when breaker_threshold is on");
  }
}

Pool::Lease::~Lease() { release(); }

Pool::Lease::Lease(Lease &&other) noexcept
    : pool_(std::move(other.pool_)), id_(other.id_), client_(other.client_), owner_(other.owner_) {
  other.client_ = nullptr;
  other.owner_ = nullptr;
}

Pool::Lease &Pool::Lease::operator=(Lease &&other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    id_ = other.id_;
    client_ = other.client_;
    owner_ = other.owner_;
    other.client_ = nullptr;
    other.owner_ = nullptr;
  }
  return *this;
}

void Pool::Lease::release() noexcept {
  if (!pool_) return;
  auto pool = std::move(pool_);
  client_ = nullptr;
  owner_ = nullptr;
  try {
    pool->release(id_);
  } catch (...) {
    // Only allocation can throw in release; the slot stays busy.
  }
}

Pool::Pool(Loop &loop, std::string_view url, const Options &options,
           const PoolOptions &pool_options, PoolMemberFactory factory)
    : core_(detail::Pool::create(loop, url, options, pool_options, std::move(factory))) {}

Pool::~Pool() { close(); }

void Pool::close() { core_->shutdown(); }

Status Pool::lease(std::optional<std::chrono::steady_clock::time_point> deadline, bool wait,
                   Lease &out) noexcept {
  out.release();
  try {
    std::shared_ptr<detail::Pool> core = core_;
    detail::Pool::Grant grant;
    const Status s = core->acquire(deadline, wait, grant);
    if (s != Status::WSC_OK) return s;
    out.pool_ = std::move(core);
    out.id_ = grant.id;
    out.client_ = grant.client;
    out.owner_ = grant.owner;
    return Status::WSC_OK;
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  } catch (...) {
    return Status::WSC_EINTERNAL;
  }
}

Status Pool::acquire(Millis timeout, Lease &out) noexcept {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout.count() >= 0) deadline = std::chrono::steady_clock::now() + timeout;
  const Status s = lease(deadline, timeout.count() != 0, out);
  // timeout 0 takes only an idle one: none is a wait that expired too.
  return s == Status::WSC_EAGAIN ? Status::WSC_EWAIT : s;
}

Status Pool::try_acquire(Lease &out) noexcept { return lease(std::nullopt, false, out); }

Pool::Lease Pool::acquire(Millis timeout) {
  Lease lease;
  const Status s = acquire(timeout, lease);
  if (s != Status::WSC_OK) throw Error(s, "no pooled connection");
  return lease;
}

PoolStats Pool::stats() const { return core_->stats(); }

}  // namespace wsc

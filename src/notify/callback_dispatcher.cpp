#include "notify/callback_dispatcher.h"

#include "observe/metrics.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

#include "net/url_masking.h"
#include "notify/signature.h"
#include "task/url_rules.h"

namespace streamrelay::notify {

struct CallbackDispatcher::Attempt {
  store::StoredEvent stored;
  std::string body;
  std::string timestamp;
  curl_slist* headers = nullptr;
  CURL* handle = nullptr;
  long status = 0;
  std::string error;

  ~Attempt() {
    if (handle) curl_easy_cleanup(handle);
    curl_slist_free_all(headers);
  }
};

namespace {

size_t discard_body(char*, size_t size, size_t count, void*) {
  return size * count;
}

}  // namespace

CallbackDispatcher::CallbackDispatcher(store::Store& store, const task::Clock& clock,
                                       DispatcherSettings settings)
    : store_(store), clock_(clock), settings_(std::move(settings)) {}

CallbackDispatcher::~CallbackDispatcher() {
  stop();
}

void CallbackDispatcher::start() {
  thread_ = std::thread([this] { run(); });
}

void CallbackDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CallbackDispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    has_work_ = true;
  }
  wake_.notify_all();
}

void CallbackDispatcher::run() {
  for (;;) {
    size_t handled = 0;
    try {
      handled = deliver_batch();
    } catch (const std::exception& error) {
      spdlog::error("event=callback_batch_failed error=\"{}\"", error.what());
    }
    std::unique_lock lock(mutex_);
    if (stop_requested_) break;
    if (handled == 0) {
      wake_.wait_for(lock, settings_.poll_interval,
                     [this] { return has_work_ || stop_requested_; });
    }
    has_work_ = false;
    if (stop_requested_) break;
  }
}

size_t CallbackDispatcher::deliver_batch() {
  int64_t now = clock_.now_seconds();
  std::vector<store::StoredEvent> due = store_.due_events(now, settings_.batch);
  if (due.empty()) return 0;
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              curl_multi_cleanup);
  std::vector<std::unique_ptr<Attempt>> attempts;
  for (store::StoredEvent& stored : due) {
    auto attempt = std::make_unique<Attempt>();
    attempt->stored = std::move(stored);
    attempt->body = task::event_body(attempt->stored.event);
    attempt->timestamp = std::to_string(now);
    attempt->headers = curl_slist_append(attempt->headers, "Content-Type: application/json");
    attempt->headers = curl_slist_append(
        attempt->headers, ("X-Relay-Event-Id: " + attempt->stored.event.event_id).c_str());
    attempt->headers =
        curl_slist_append(attempt->headers, ("X-Relay-Timestamp: " + attempt->timestamp).c_str());
    if (!settings_.signing_key.empty()) {
      std::string signature =
          callback_signature(settings_.signing_key, attempt->timestamp, attempt->body);
      attempt->headers =
          curl_slist_append(attempt->headers, ("X-Relay-Signature: " + signature).c_str());
    }
    attempt->headers = curl_slist_append(attempt->headers, "Expect:");
    CURL* handle = curl_easy_init();
    attempt->handle = handle;
    curl_easy_setopt(handle, CURLOPT_URL, attempt->stored.event.callback_url.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, attempt->body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(attempt->body.size()));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, attempt->headers);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (!settings_.tls_ca_file.empty()) {
      curl_easy_setopt(handle, CURLOPT_CAINFO, settings_.tls_ca_file.c_str());
    }
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, settings_.verifies_tls ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, settings_.verifies_tls ? 2L : 0L);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(handle, CURLOPT_PRIVATE, attempt.get());
    curl_multi_add_handle(multi.get(), handle);
    attempts.push_back(std::move(attempt));
  }
  for (int running = 1; running > 0;) {
    curl_multi_perform(multi.get(), &running);
    if (running > 0) curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
  }
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    Attempt* attempt = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &attempt);
    if (message->data.result == CURLE_OK) {
      curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &attempt->status);
    } else {
      attempt->error = curl_easy_strerror(message->data.result);
    }
  }
  int64_t done_at = clock_.now_seconds();
  for (const auto& attempt : attempts) {
    curl_multi_remove_handle(multi.get(), attempt->handle);
    record(*attempt, done_at);
  }
  return attempts.size();
}

void CallbackDispatcher::record(const Attempt& attempt, int64_t now) {
  const task::TaskEvent& event = attempt.stored.event;
  if (attempt.status >= 200 && attempt.status < 300) {
    store_.mark_event_delivered(event.event_id);
    observe::metrics().callbacks.add({{"result", "delivered"}});
    spdlog::debug("task_id={} event=callback_delivered event_id={} type={} sequence={}",
                  event.task_id, event.event_id, event.event_type, event.sequence);
    return;
  }
  std::string error =
      attempt.error.empty() ? "HTTP status " + std::to_string(attempt.status) : attempt.error;
  int64_t shift = std::min<int64_t>(attempt.stored.attempts, 20);
  int64_t delay =
      std::min<int64_t>(settings_.first_retry.count() << shift, settings_.longest_retry.count());
  bool is_expired =
      now - event.timestamp >
      std::chrono::duration_cast<std::chrono::seconds>(settings_.give_up_after).count();
  store_.mark_event_failed(event.event_id, now + delay, error, is_expired);
  observe::metrics().callbacks.add({{"result", is_expired ? "expired" : "failed"}});
  auto level = is_expired ? spdlog::level::err : spdlog::level::warn;
  spdlog::log(level,
              "task_id={} event=callback_failed event_id={} type={} url={} error=\"{}\" "
              "retry_in_s={} expired={}",
              event.task_id, event.event_id, event.event_type, net::mask_url(event.callback_url),
              error, delay, is_expired);
}

}  // namespace streamrelay::notify

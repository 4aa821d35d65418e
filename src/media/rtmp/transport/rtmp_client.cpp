#include "media/rtmp/transport/rtmp_client.h"

#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <unordered_set>
#include <utility>

#include "media/big_endian.h"
#include "media/host_resolution.h"
#include "media/rtmp/codec/amf0.h"
#include "media/rtmp/rtmp_url.h"
#include "media/rtmp/session/commands.h"
#include "media/runtime/event_loops.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

namespace streamrelay::media {

using namespace rtmp;  // the message types and the chunk codec

namespace {

constexpr size_t kHandshakeSize = ClientSession::kHandshakeSize;
// The receive buffer: its first size (a live stream of a few hundred kbps reads a few kilobytes
// per batch), its largest after doubling, and how many small receives in a row halve it.
constexpr size_t kFirstReadBlock = 8 * 1024;
constexpr size_t kMaxReadBlock = 64 * 1024;
constexpr size_t kSmallReadsBeforeShrink = 64;
// A receive asks for at least this much; with less room left, the buffer is compacted first.
constexpr size_t kMinReadRoom = 4 * 1024;
// How often a blocked wait looks at the stop flag and the deadline.
constexpr int kPollSliceMs = 50;

// Servers (host:port) a session of this process got past connect with: they take the simple
// handshake. Bounded: past the bound it starts over, and a server may be let fall back once more.
constexpr size_t kMaxServersSpokenWith = 10000;
std::mutex g_servers_mutex;
std::unordered_set<std::string> g_servers_spoken_with;

void note_spoken_with(const std::string& server) {
  std::lock_guard lock(g_servers_mutex);
  if (g_servers_spoken_with.size() >= kMaxServersSpokenWith) g_servers_spoken_with.clear();
  g_servers_spoken_with.insert(server);
}

bool has_spoken_with(const std::string& server) {
  std::lock_guard lock(g_servers_mutex);
  return g_servers_spoken_with.contains(server);
}

// libavformat's buffer for the path: a longer one it cuts short, so it is left to it.
constexpr size_t kLongestPath = 1023;

// Whether our client takes the URL: credentials (an authentication exchange), a path
// libavformat would cut short, or one naming no app or no stream are left to libavformat.
bool is_ours(const RtmpUrl& url) {
  return url.scheme == "rtmp" && url.credentials.empty() && !url.host.empty() && !url.app.empty() &&
         !url.stream.empty() && url.path.size() <= kLongestPath;
}

}  // namespace

bool RtmpClient::should_fall_back(int code) const {
  if (code == AVERROR(EINVAL)) return true;
  bool is_broken_off =
      code == AVERROR_INVALIDDATA || code == AVERROR_EOF || code == AVERROR(ECONNRESET);
  return is_broken_off && !has_spoken_with(server_);
}

RtmpClient::~RtmpClient() {
  watch_.release();
  if (fd_ >= 0) ::close(fd_);
}

int RtmpClient::write_packet(void* opaque, uint8_t* buffer, int size) {
  return static_cast<RtmpClient*>(opaque)->write(buffer, size);
}

AVIOContext* RtmpClient::make_output_io(int buffer_bytes) {
  auto* buffer = static_cast<unsigned char*>(av_malloc(static_cast<size_t>(buffer_bytes)));
  if (!buffer) return nullptr;
  AVIOContext* io =
      avio_alloc_context(buffer, buffer_bytes, 1, this, nullptr, &write_packet, nullptr);
  if (!io) av_free(buffer);
  return io;
}

void RtmpClient::free_io(AVIOContext*& io) {
  if (io) av_freep(&io->buffer);
  avio_context_free(&io);
}

int RtmpClient::wait_for(short events) {
  // Returns after each wake-up (the socket ready, a slice over, a stop asked): the caller tries
  // the socket again, which is what tells whether it is ready.
  if (deadline_.is_interrupted()) return AVERROR_EXIT;
  // A fiber is woken by a stop request itself; a thread looks at its flag every slice.
  auto until = runtime::Fiber::current()
                   ? deadline_.expires_at()
                   : runtime::Clock::now() + std::chrono::milliseconds(kPollSliceMs);
  runtime::wait_fd(watch_, fd_, events == POLLOUT, until);
  return deadline_.is_interrupted() ? AVERROR_EXIT : 0;
}

int RtmpClient::connect_socket(const std::string& host, const std::string& port) {
  HostAddresses found = resolve_host(host, port, deadline_);
  if (found.is_interrupted) {
    if (deadline_.has_expired()) failure_reason_ = "cannot resolve " + host + " in time";
    return AVERROR_EXIT;
  }
  if (found.status != 0) {
    failure_reason_ = "cannot resolve " + host + ": " + gai_strerror(found.status);
    return AVERROR(EIO);
  }
  int error = AVERROR(ECONNREFUSED);
  for (addrinfo* at = found.list.get(); at; at = at->ai_next) {
    error = connect_to(*at);
    if (error == 0 || error == AVERROR_EXIT) return error;
  }
  return error;
}

int RtmpClient::connect_to(const addrinfo& address) {
  fd_ = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return AVERROR(errno);
  int rc = ::connect(fd_, address.ai_addr, address.ai_addrlen);
  if (rc < 0 && errno == EINPROGRESS) {
    pollfd entry{fd_, POLLOUT, 0};
    while ((rc = wait_for(POLLOUT)) == 0 && ::poll(&entry, 1, 0) == 0) {
    }
    if (rc == 0) {
      int so_error = 0;
      socklen_t length = sizeof so_error;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &length);
      rc = so_error == 0 ? 0 : AVERROR(so_error);
    }
  } else if (rc < 0) {
    rc = AVERROR(errno);
  }
  if (rc == 0) {
    int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return 0;
  }
  watch_.release();
  ::close(fd_);
  fd_ = -1;
  return rc;
}

int RtmpClient::receive_more() {
  // Unread bytes (a chunk not yet whole) move to the front whenever that copies less than it
  // frees, so a relay's receives land in the first pages of a small buffer; the buffer doubles
  // when a receive fills it (more was waiting) and halves after a run of small receives.
  size_t unread = in_end_ - in_pos_;
  if (in_pos_ > 0 && (unread <= in_pos_ || in_size_ - in_end_ < kMinReadRoom)) {
    std::memmove(in_.get(), in_.get() + in_pos_, unread);
    in_end_ = unread;
    in_pos_ = 0;
  }
  size_t wanted = in_size_;
  if (in_size_ == 0) {
    wanted = kFirstReadBlock;
  } else if (in_end_ == in_size_ || (was_read_full_ && in_size_ < kMaxReadBlock)) {
    wanted = std::max(in_size_ * 2, in_end_ + kFirstReadBlock);
  } else if (small_reads_ >= kSmallReadsBeforeShrink && in_size_ > kFirstReadBlock &&
             in_end_ <= in_size_ / 4) {
    wanted = in_size_ / 2;
  }
  if (wanted != in_size_) {
    // Not zero-filled: a page of it takes memory only once the network writes there.
    auto resized = std::make_unique_for_overwrite<uint8_t[]>(wanted);
    if (in_end_ > in_pos_) std::memcpy(resized.get(), in_.get() + in_pos_, in_end_ - in_pos_);
    in_end_ -= in_pos_;
    in_pos_ = 0;
    in_ = std::move(resized);
    in_size_ = wanted;
    small_reads_ = 0;
  }
  bool may_batch = read_batch_.count() > 0 && !is_publishing();
  for (;;) {
    ssize_t got = ::recv(fd_, in_.get() + in_end_, in_size_ - in_end_, 0);
    if (got > 0) {
      if (is_acking_quickly_) {
        int on = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
      }
      was_read_full_ = in_end_ + static_cast<size_t>(got) == in_size_;
      small_reads_ = static_cast<size_t>(got) < in_size_ / 4 ? small_reads_ + 1 : 0;
      in_end_ += static_cast<size_t>(got);
      bytes_received_ += static_cast<uint64_t>(got);
      return 0;
    }
    if (got == 0) return AVERROR_EOF;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return AVERROR(errno);
    if (wait_hook_) wait_hook_();
    if (may_batch) {
      // Caught up with the live stream: let a batch gather, then block only if none came.
      may_batch = false;
      runtime::sleep_until(runtime::next_tick(read_batch_));
      if (deadline_.is_interrupted()) return AVERROR_EXIT;
      continue;
    }
    if (int rc = wait_for(POLLIN); rc < 0) return rc;
  }
}

int RtmpClient::ensure(size_t bytes) {
  while (in_end_ - in_pos_ < bytes) {
    if (!may_receive_) return kNeedMoreData;
    if (int rc = receive_more(); rc < 0) return rc;
  }
  return 0;
}

int RtmpClient::send_all(const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      bytes_sent_ += static_cast<uint64_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (int rc = wait_for(POLLOUT); rc < 0) return rc;
    } else if (n < 0 && errno != EINTR) {
      return AVERROR(errno);
    }
  }
  return 0;
}

int RtmpClient::check_send_progress() {
  int unacknowledged = 0;
  if (!send_progress_ || ioctl(fd_, SIOCOUTQ, &unacknowledged) < 0) return 0;
  auto now = std::chrono::steady_clock::now();
  if (!send_progress_->is_stalled(bytes_sent_, static_cast<uint64_t>(unacknowledged), now)) {
    return 0;
  }
  failure_reason_ =
      "server took no data for " + std::to_string(send_progress_->limit().count()) + " ms";
  return AVERROR(ETIMEDOUT);
}

int RtmpClient::handshake() {
  std::vector<uint8_t> random(kHandshakeSize - 8);
  std::mt19937 generator(std::random_device{}());
  for (uint8_t& byte : random) byte = static_cast<uint8_t>(generator());
  if (int rc = send_all(session_->hello(random)); rc < 0) return rc;
  if (int rc = ensure(1 + 2 * kHandshakeSize); rc < 0) return rc;
  std::vector<uint8_t> c2 =
      session_->on_server_hello({in_.get() + in_pos_, 1 + 2 * kHandshakeSize});
  if (c2.empty()) return AVERROR_INVALIDDATA;
  in_pos_ += 1 + 2 * kHandshakeSize;
  if (int rc = send_all(c2); rc < 0) return rc;
  return flush_session();
}

int RtmpClient::flush_session() {
  if (!session_->has_outgoing()) return 0;
  std::vector<uint8_t> out;
  for (const ClientSession::Outgoing& message : session_->take_outgoing()) {
    chunk_writer_.append(out, {.chunk_stream_id = message.chunk_stream_id,
                               .type = message.type,
                               .stream_id = message.stream_id,
                               .timestamp = 0,
                               .payload = message.payload});
    // Ours applies from the next message on, as the peer reads it (section 5.4.1).
    if (message.type == kSetChunkSize && message.payload.size() >= 4) {
      chunk_writer_.set_chunk_size(read_be(message.payload.data(), 4));
    }
  }
  return send_all(out);
}

int RtmpClient::read_message(Message& out) {
  for (;;) {
    // The reader takes chunks straight from the receive buffer; one not yet whole waits there.
    ChunkReader::Result result = chunk_reader_.read({in_.get() + in_pos_, in_end_ - in_pos_}, out);
    in_pos_ += result.consumed;
    if (result.status == ChunkReader::Status::kError) return AVERROR_INVALIDDATA;
    if (result.status == ChunkReader::Status::kMessage) break;
    if (!may_receive_) return kNeedMoreData;
    if (int rc = receive_more(); rc < 0) return rc;
  }
  session_->on_message(out, bytes_received_);
  return flush_session();
}

int RtmpClient::session_error() {
  if (session_->state() != ClientSession::State::kRefused) return 0;
  failure_reason_ = session_->refusal().reason;
  return AVERROR(session_->refusal().error);
}

int RtmpClient::open_session(const std::string& url, ClientSession::Role role) {
  RtmpUrl parts = parse_rtmp_url(url);
  if (!is_ours(parts)) return AVERROR(EINVAL);
  std::string port = std::to_string(parts.port >= 0 ? parts.port : 1935);
  server_ = parts.host + ":" + port;
  std::string host = parts.host;
  session_.emplace(role, std::move(parts));
  if (int rc = connect_socket(host, port); rc < 0) return rc;
  if (int rc = handshake(); rc < 0) return rc;
  Message message;
  while (!session_->is_open()) {
    bool was_connecting = session_->state() == ClientSession::State::kConnecting;
    if (int rc = read_message(message); rc < 0) return rc;
    if (int rc = session_error(); rc < 0) return rc;
    // The server answered connect: it speaks our handshake.
    if (was_connecting && session_->state() != ClientSession::State::kConnecting) {
      note_spoken_with(server_);
    }
  }
  return 0;
}

int RtmpClient::open(const std::string& url) {
  return open_session(url, ClientSession::Role::kPlayer);
}

int RtmpClient::open_for_publishing(const std::string& url) {
  if (int rc = open_session(url, ClientSession::Role::kPublisher); rc < 0) return rc;
  is_acking_quickly_ = false;
  last_drain_ = std::chrono::steady_clock::now();
  pending_out_.clear();
  return 0;
}

int RtmpClient::drain_incoming() {
  for (;;) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, 0) <= 0 || !(entry.revents & (POLLIN | POLLHUP | POLLERR))) return 0;
    if (int rc = receive_more(); rc < 0) return rc;
    // What is buffered only: the reader keeps a message in progress for the next drain.
    while (in_end_ > in_pos_) {
      Message message;
      may_receive_ = false;
      int rc = read_message(message);
      may_receive_ = true;
      if (rc == kNeedMoreData) break;
      if (rc < 0) return rc;
      if (int refused = session_error(); refused < 0) return refused;
    }
  }
}

int RtmpClient::explain_send_failure(int code) {
  // A server that ends the session says why first (an onStatus error) and closes: that reason,
  // already on its way to us, is what the user needs, not the broken pipe.
  if (code == AVERROR_EXIT || !failure_reason_.empty()) return code;
  int drained = drain_incoming();
  return failure_reason_.empty() ? code : drained;
}

void RtmpClient::queue_tag(uint8_t type, uint32_t timestamp, std::span<const uint8_t> header,
                           std::span<const uint8_t> data) {
  uint32_t csid = type == kAudio ? 4 : type == kVideo ? 6 : 5;
  chunk_writer_.append(batch_, {.chunk_stream_id = csid,
                                .type = type,
                                .stream_id = session_->stream_id(),
                                .timestamp = timestamp,
                                .payload = data,
                                .prefix = header});
}

void RtmpClient::queue_metadata(uint32_t timestamp, std::span<const uint8_t> body) {
  // Servers keep metadata sent as "@setDataFrame" for viewers who come later.
  static const std::vector<uint8_t> kSetDataFrame = [] {
    amf0::Writer wrapper;
    wrapper.string("@setDataFrame");
    return wrapper.bytes();
  }();
  queue_tag(kDataAmf0, timestamp, kSetDataFrame, body);
}

int RtmpClient::send_queued() {
  auto now = std::chrono::steady_clock::now();
  // The send queue is looked at four times a second, not at every send: a stall is measured in
  // seconds, and the look is a system call.
  if (now - last_progress_check_ >= std::chrono::milliseconds(250)) {
    last_progress_check_ = now;
    if (int rc = check_send_progress(); rc < 0) return rc;
  }
  if (!batch_.empty()) {
    int rc = send_all(batch_);
    batch_.clear();
    if (rc < 0) return explain_send_failure(rc);
  }
  if (now - last_drain_ > std::chrono::seconds(1)) {
    last_drain_ = now;
    if (int rc = drain_incoming(); rc < 0) return rc;
  }
  return 0;
}

int RtmpClient::write(const uint8_t* buffer, int size) {
  pending_out_.insert(pending_out_.end(), buffer, buffer + size);
  size_t at = 0;
  if (!has_sent_file_header_) {
    if (pending_out_.size() < 13) return size;
    at = 13;  // "FLV", version, flags, header size, first previous-tag size
    has_sent_file_header_ = true;
  }
  while (pending_out_.size() - at >= 11) {
    const uint8_t* tag = pending_out_.data() + at;
    uint32_t length = read_be(tag + 1, 3);
    if (pending_out_.size() - at < 11 + length + 4) break;
    uint32_t timestamp = read_be(tag + 4, 3) | (static_cast<uint32_t>(tag[7]) << 24);
    uint8_t type = tag[0];
    if (type == kDataAmf0) {
      queue_metadata(timestamp, {tag + 11, length});
    } else {
      queue_tag(type, timestamp, {}, {tag + 11, length});
    }
    at += 11 + length + 4;
  }
  pending_out_.erase(pending_out_.begin(), pending_out_.begin() + static_cast<long>(at));
  if (int rc = send_queued(); rc < 0) return rc;
  return size;
}

void RtmpClient::unpublish() {
  if (!is_publishing() || fd_ < 0) return;
  session_->unpublish();
  flush_session();
}

void RtmpClient::note_media(uint8_t type, std::span<const uint8_t> payload) {
  // Under way at the first keyframe (frame type 1, in the enhanced header too), or after a while
  // of audio alone.
  bool is_keyframe = type == kVideo && !payload.empty() && ((payload[0] >> 4) & 7) == 1;
  if (is_acking_quickly_ && (is_keyframe || ++media_messages_ > 100)) is_acking_quickly_ = false;
}

int RtmpClient::read_tag(Tag& tag) {
  for (;;) {
    // The rest of an aggregate first; a part cut short ended it, the whole parts before it play.
    while (next_part_ < aggregate_parts_.size()) {
      const AggregatePart& part = aggregate_parts_[next_part_++];
      if (part.type != kAudio && part.type != kVideo) continue;
      note_media(part.type, part.payload);
      tag = {part.type, part.timestamp, part.payload};
      return 0;
    }
    if (session_->state() == ClientSession::State::kEnded) return AVERROR_EOF;
    // One message object for every read: its buffer and the chunk stream's trade places, so a
    // steady stream reads without allocating.
    Message& message = incoming_;
    if (int rc = read_message(message); rc < 0) return rc;
    if (int rc = session_error(); rc < 0) return rc;
    switch (message.type) {
      case kAudio:
      case kVideo:
        if (message.payload.empty()) break;
        note_media(message.type, message.payload);
        tag = {message.type, message.timestamp, message.payload};
        return 0;
      case kDataAmf0: {
        // "@setDataFrame" wrappers are unwrapped to the plain onMetaData tag.
        amf0::Reader reader(message.payload);
        std::string name = reader.string();
        if (name != "onMetaData" && name != "@setDataFrame") break;
        size_t skip = name == "@setDataFrame" ? reader.position() : 0;
        tag = {message.type, message.timestamp,
               std::span<const uint8_t>(message.payload).subspan(skip)};
        return 0;
      }
      case kAggregate:
        split_aggregate(message, aggregate_parts_);
        next_part_ = 0;
        break;
      default:  // commands and control messages: the session's
        break;
    }
  }
}

}  // namespace streamrelay::media

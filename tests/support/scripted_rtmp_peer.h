#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace streamrelay::test_support {

// What an onStatus or an _error reply carries.
struct PeerStatus {
  std::string code;
  std::string description;
};

// What the peer does for each client, in the order a session goes. Everything not scripted is
// what a plain server does: _result to every command, then NetStream.Publish.Start or
// NetStream.Play.Start.
struct PeerScript {
  // Commands answered with this error instead of success: "connect", "releaseStream",
  // "FCPublish" and "createStream" get an _error reply, "publish" and "play" an onStatus error.
  std::map<std::string, PeerStatus> refusals;

  // A publisher: after this many media messages the peer sends an onStatus error and closes the
  // connection (-1: never).
  int fails_publishing_after = -1;
  PeerStatus publishing_failure;
  // A publisher: after this many media messages the peer reads nothing more and keeps the
  // connection open (-1: never).
  int stops_reading_after = -1;

  // A publisher: a legacy server that closes the connection on the first enhanced RTMP (FourCC)
  // video tag, without a word.
  bool closes_on_fourcc = false;
  // Set: the connect answer lists these enhanced RTMP codecs (fourCcList) as all it takes.
  std::optional<std::vector<std::string>> fourcc_list;

  // A player gets the tags of this FLV file, in real time.
  std::string flv_path;
  // Chunk sizes announced in turn (Set Chunk Size), the next one every `messages_per_chunk_size`
  // messages; empty: 128 bytes throughout.
  std::vector<uint32_t> chunk_sizes;
  int messages_per_chunk_size = 20;
  // > 1: audio and video go out in aggregate messages of this many tags.
  int tags_per_aggregate = 0;
  // Added to every media timestamp sent to a player (modulo 2^32, as RTMP's 32-bit timestamps
  // wrap): a stream that crosses 2^31 and 2^32 ms, as after weeks of running.
  uint32_t timestamp_offset = 0;
  // The message stream of the media: the one createStream gave (1), or 0 as some servers send.
  uint32_t media_stream_id = 1;
  // > 0: announced as the acknowledgement window, and the peer sends no message while this many
  // bytes or more went out since the last acknowledgement came.
  uint32_t ack_window = 0;
};

// A small RTMP server on a loopback port for what no installed server does on demand, built on
// the service's own chunk reader and writer and AMF0 code. Each connection is served on a
// thread of its own, by the one script.
class ScriptedRtmpPeer {
 public:
  explicit ScriptedRtmpPeer(PeerScript script);
  ~ScriptedRtmpPeer();
  ScriptedRtmpPeer(const ScriptedRtmpPeer&) = delete;
  ScriptedRtmpPeer& operator=(const ScriptedRtmpPeer&) = delete;

  std::string url(const std::string& app_and_stream = "live/key") const;

  // What the peer saw, over all connections.
  struct Record {
    int media_messages = 0;  // audio and video from publishers
    int acknowledgements = 0;
    int sessions = 0;  // connections that got as far as publish or play
    // The first session that stopped reading (stops_reading_after): when it stopped, and when
    // its socket last took bytes, the moment the client's bytes stopped moving.
    std::optional<std::chrono::steady_clock::time_point> stopped_reading_at;
    std::optional<std::chrono::steady_clock::time_point> last_took_bytes_at;
  };
  Record record() const;

  // Used by the sessions.
  struct Shared {
    const PeerScript script;
    std::atomic<bool> is_stopping{false};
    mutable std::mutex mutex;
    Record record;
    std::vector<uint8_t> flv;  // the file's bytes
  };

 private:
  void accept_loop();

  std::shared_ptr<Shared> shared_;
  int port_;
  int listener_ = -1;
  std::thread acceptor_;
  std::mutex sessions_mutex_;
  std::vector<int> sockets_;
  std::vector<std::thread> sessions_;
};

}  // namespace streamrelay::test_support

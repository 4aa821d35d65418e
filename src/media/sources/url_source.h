#pragma once

#include "media/sources/av/av_source.h"
#include "media/sources/rtmp/flv_source.h"

namespace streamrelay::media {

// The source for whatever URL is opened: RTMP(S) and HTTP-FLV (a path ending in .flv) through
// our FLV reader, which takes enhanced RTMP's codecs; everything else through libavformat.
class UrlSource final : public Source {
 public:
  UrlSource(IoDeadline& deadline, const RelaySettings& settings)
      : flv_(deadline, settings), av_(deadline, settings) {}

  std::optional<SourceError> open(const std::string& url) override {
    close();
    active_ = FlvSource::handles(url) ? static_cast<Source*>(&flv_) : &av_;
    return active_->open(url);
  }
  const SegmentInfo& segment() const override { return active_->segment(); }
  std::optional<SourceError> read(MediaPacket& out) override { return active_->read(out); }
  void close() override {
    flv_.close();
    av_.close();
  }
  bool opens_on_loop(const std::string& url) const override {
    return FlvSource::handles(url) && flv_.opens_on_loop(url);
  }
  bool reads_on_loop() const override { return active_->reads_on_loop(); }
  SkippedTracks skipped_tracks() const override { return active_->skipped_tracks(); }
  bool batches_reads() const override { return active_->batches_reads(); }
  void set_read_batching(std::chrono::milliseconds period) override {
    active_->set_read_batching(period);
  }
  void set_wait_hook(std::function<void()> hook) override {
    flv_.set_wait_hook(hook);
    av_.set_wait_hook(std::move(hook));
  }

 private:
  FlvSource flv_;
  AvSource av_;
  Source* active_ = &av_;
};

}  // namespace streamrelay::media

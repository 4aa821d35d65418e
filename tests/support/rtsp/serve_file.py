# An RTSP server (GStreamer's gst-rtsp-server) that plays one MP4 file (H.264 and AAC) as a live
# camera would: in real time, over RTP, to every client that asks for rtsp://127.0.0.1:PORT/camera.
# Usage: serve_file.py PORT FILE
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port, path = sys.argv[1], sys.argv[2]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f'( filesrc location="{path}" ! qtdemux name=d '
    "d.video_0 ! queue ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 "
    "d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/camera", factory)
server.attach(None)
print("serving", flush=True)
GLib.MainLoop().run()

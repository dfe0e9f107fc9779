// The page's one frame source: the webcam or a video file in #video, or a still image in #image.
// It only shows and stops media; what runs on the frames is the controller's (controller.js).
// Ids: #video #image #hint #stop #file.

import { $ } from './page.js';

/** getUserMedia's refusals, by DOMException name, in words a user can act on (the names alone say little). */
const CAMERA_ERRORS = {
  NotAllowedError: 'camera access was denied. Allow the camera for this site (the camera icon in the address bar), then press Webcam again — or use an image or video file',
  SecurityError: 'camera access was denied: the camera is only offered to https:// and localhost pages',
  NotFoundError: 'no camera was found. Connect one, or use an image or video file',
  NotReadableError: 'the camera could not be started: another application may be using it. Close that, then press Webcam again',
};

/** A getUserMedia error with a clear message (same name, the browser's own words at the end). */
export function cameraError(err) {
  const words = CAMERA_ERRORS[err?.name];
  if (!words) return err;
  return Object.assign(new Error(`${words} (${err.message || 'no details'})`, { cause: err }), { name: err.name });
}

export class FrameSource {
  /**
   * @param {{source: string | null}} state the page's test hook: `source` is 'webcam' | 'video' |
   *   'image' | null
   * @param {() => void} [onStop] called whenever the current source is stopped (also by a new one)
   */
  constructor(state, onStop = () => {}) {
    this.state = state;
    this.onStop = onStop;
    this.token = 0; // changes with every source, so a late result for an old one can be told apart
    this.stream = null;
    this.objectUrl = null;
  }

  get video() {
    return $('video');
  }

  /** Whether a video (webcam or file) is the source. */
  get playing() {
    return this.state.source === 'webcam' || this.state.source === 'video';
  }

  /** Stop and hide the current source; the webcam is released, a file's object URL revoked. */
  stop() {
    this.token += 1;
    this.onStop();
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    const video = this.video;
    video.pause();
    video.srcObject = null;
    video.removeAttribute('src');
    video.hidden = true;
    $('image').hidden = true;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
    this.state.source = null;
    $('stop').disabled = true;
  }

  /** The webcam (640×480 ideally), playing in #video. */
  async playWebcam() {
    this.stop();
    $('file').value = ''; // the file input no longer names the source
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false })
      .catch((err) => { throw cameraError(err); });
    this.video.srcObject = this.stream;
    await this.play('webcam');
  }

  /** A video file, playing in a loop in #video. */
  async playFile(file) {
    this.stop();
    const video = this.video;
    this.objectUrl = URL.createObjectURL(file);
    video.loop = true;
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(Object.assign(new Error(`'${file.name}' is not a playable video`), { name: 'VideoError' }));
      video.src = this.objectUrl;
    });
    await this.play('video');
  }

  async play(kind) {
    this.video.hidden = false;
    $('hint').hidden = true;
    $('stop').disabled = false;
    this.state.source = kind;
    await this.video.play();
  }

  /** Show `file` (already known to decode) as the still image. */
  showImage(file) {
    this.stop();
    this.objectUrl = URL.createObjectURL(file);
    const img = $('image');
    img.src = this.objectUrl;
    img.hidden = false;
    $('hint').hidden = true;
    $('stop').disabled = false;
    this.state.source = 'image';
  }
}

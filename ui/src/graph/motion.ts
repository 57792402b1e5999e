/**
 * Moving the drawn frame while the camera moves, where drawing a frame is slow.
 *
 * Without a GPU (software WebGL), sigma draws 5,000 nodes and 20,000 edges in about two seconds, and a
 * viewport a quarter the size draws about as slowly (the cost is in the primitives, not the pixels): hiding
 * edges and labels while moving still left ~6 fps. When the frames after a draw show it took longer than
 * SLOW_FRAME_MS, a camera move no longer redraws the graph: a 2D copy of the last frame is shown instead,
 * CSS-transformed to where the camera now is (the compositor moves it at screen rate), and the graph is drawn
 * again once the camera has rested REST_MS. Where drawing is fast (a GPU), sigma keeps drawing every frame as
 * it does by itself.
 *
 * What the copy cannot show while moving: parts of the graph that were outside the last frame (blank until
 * the rest), and nodes and labels keep their drawn pixel size while zooming (sigma redraws them at screen size).
 */
import type Sigma from 'sigma';

const SLOW_FRAME_MS = 1000 / 30;
const REST_MS = 150;
/** Frames watched after a draw: the GPU work of a draw shows as a long interval in the first few. */
const FRAMES_WATCHED = 5;

type CameraState = ReturnType<ReturnType<Sigma['getCamera']>['getState']>;

/**
 * Attaches to a sigma drawing into `el`, which gets `data-frame-ms` (the last draw's measured cost) and
 * `data-motion` (`live` or `copy`: how the next camera move is shown). Returns the detach function.
 */
export function moveDrawnFrameWhenSlow(s: Sigma, el: HTMLElement): () => void {
  const camera = s.getCamera();
  const stage = s.getContainer().querySelector('canvas');
  if (!stage) return () => {};
  let drawn: CameraState | null = null; // the camera of the frame in the copy
  let slow = false;
  let watch = 0;
  // With a copy, every draw sigma schedules (its camera listener's, a hover's, the start and end of a pan or
  // zoom changing the graph state, which comes just before the camera moves) waits until nothing has asked
  // for one and the camera has not moved for REST_MS: one draw then applies them all. sigma's camera
  // listener still runs, so the projection that drags and wheel zooms read stays current.
  const schedule = s.scheduleRender.bind(s);
  let deferred = false;
  let rest = 0;
  const restart = () => {
    clearTimeout(rest);
    rest = window.setTimeout(onRest, REST_MS);
  };
  s.scheduleRender = () => {
    if (!drawn) return schedule();
    deferred = true;
    restart();
    return s;
  };

  const copy = document.createElement('canvas');
  copy.className = 'graph-motion-copy';
  copy.setAttribute('aria-hidden', 'true');
  stage.after(copy);
  const ctx = copy.getContext('2d')!;

  const mark = () => {
    el.dataset.motion = drawn ? 'copy' : 'live';
  };
  // The longest frame interval right after a draw is its cost (the draw call itself returns at once). One
  // measurement at a time: while sigma draws every frame, the frames watched are those draws.
  const measure = () => {
    if (watch) return;
    let last = performance.now();
    let longest = 0;
    let frames = 0;
    const frame = (t: number) => {
      longest = Math.max(longest, t - last);
      last = t;
      if (++frames < FRAMES_WATCHED) {
        watch = requestAnimationFrame(frame);
        return;
      }
      watch = 0;
      slow = longest > SLOW_FRAME_MS;
      el.dataset.frameMs = String(Math.round(longest));
      // Slow and no copy of the last frame (the first draw happened before this was attached, or the
      // last one was fast): draw once more to have one.
      if (!slow) drawn = null;
      else if (!drawn) schedule();
      mark();
    };
    watch = requestAnimationFrame(frame);
  };
  const showCopy = (transform: string) => {
    copy.style.transform = transform;
    copy.style.visibility = 'visible';
    stage.style.visibility = 'hidden';
  };
  const showStage = () => {
    copy.style.transform = '';
    copy.style.visibility = 'hidden';
    stage.style.visibility = 'visible';
  };
  const afterRender = () => {
    // This draw applied everything asked for until now (data, state, camera): nothing waits any more.
    deferred = false;
    clearTimeout(rest);
    drawn = null;
    if (slow) {
      // Same task as the draw: the WebGL drawing buffer is still there to copy.
      if (copy.width !== stage.width || copy.height !== stage.height) {
        copy.width = stage.width;
        copy.height = stage.height;
      }
      copy.style.width = stage.style.width;
      copy.style.height = stage.style.height;
      ctx.clearRect(0, 0, copy.width, copy.height);
      ctx.drawImage(stage, 0, 0);
      drawn = camera.getState();
    }
    showStage();
    mark();
    measure();
  };
  function onRest() {
    if (!deferred) return showStage();
    deferred = false;
    schedule();
  }
  const onCamera = (state: CameraState) => {
    if (!drawn) return; // drawing is fast: sigma's own listener draws this frame
    showCopy(transformBetween(s, drawn, state));
    restart();
  };
  s.on('afterRender', afterRender);
  // Ahead of sigma's own listener, so that the draw it schedules already waits.
  camera.prependListener('updated', onCamera);
  measure();
  return () => {
    clearTimeout(rest);
    cancelAnimationFrame(watch);
    s.removeListener('afterRender', afterRender);
    camera.removeListener('updated', onCamera);
    s.scheduleRender = schedule;
    copy.remove();
  };
}

/** The CSS transform taking what was drawn under camera `from` to where camera `to` shows it. */
function transformBetween(s: Sigma, from: CameraState, to: CameraState): string {
  const a0 = s.framedGraphToViewport({ x: 0, y: 0 }, { cameraState: from });
  const a1 = s.framedGraphToViewport({ x: 1, y: 1 }, { cameraState: from });
  const b0 = s.framedGraphToViewport({ x: 0, y: 0 }, { cameraState: to });
  const b1 = s.framedGraphToViewport({ x: 1, y: 1 }, { cameraState: to });
  const k = (b1.x - b0.x) / (a1.x - a0.x);
  return `matrix(${k}, 0, 0, ${k}, ${b0.x - k * a0.x}, ${b0.y - k * a0.y})`;
}

// A typed app on @edgeward/runtime's public API: `npm run typecheck` checks it against edgeward.d.ts
// (tsconfig.json), tests/browser/test_runtime_npm.py against the packed tarball's exports map. The
// lines marked ts-expect-error must stay errors: they prove the types are not `any`.
import {
  createPoseDetector, drawPoses, EdgewardError, env, inputSizes, IntegrityError, resolvePackage, RegistryError,
  type LoadOptions, type Pose, type PoseDetector,
} from '@edgeward/runtime';

const options: LoadOptions = { backend: 'wasm', numThreads: 2, variant: 'fp32', wasmPaths: 'bundled' };

export async function estimate(image: Blob, canvas: HTMLCanvasElement): Promise<Pose[]> {
  const detector: PoseDetector = await createPoseDetector('/models/posenet/', options);
  try {
    const poses = await detector.estimatePoses(image, { maxPoses: 1, scoreThreshold: 0.3 });
    const nose = poses[0]?.keypoints.find((k) => k.name === 'nose');
    if (nose) console.log(`nose at ${nose.x.toFixed(1)}, ${nose.y.toFixed(1)} (${detector.backend.name})`);
    const ctx = canvas.getContext('2d');
    if (ctx) drawPoses(ctx, poses, detector.manifest);
    // @ts-expect-error maxPoses is a number
    await detector.estimatePoses(image, { maxPoses: 'one' });
    return poses;
  } finally {
    await detector.dispose();
  }
}

export async function fromRegistry(video: HTMLVideoElement): Promise<() => void> {
  const { url, version } = await resolvePackage('posenet@^1', 'https://models.example');
  console.log(`posenet ${version} from ${url}, worker ${env.workerUrl ?? 'built in'}`);
  const detector = await createPoseDetector('posenet@^1', { registry: 'https://models.example' });
  const tracker = detector.track(video, (poses, frame) => console.log(poses.length, frame.latencyMs, frame.inputSize),
    { roi: true, inFlight: 2, roiInputSize: inputSizes(detector.manifest).length > 1 ? 'smallest' : null });
  await detector.estimatePoses(video, { inputSize: [257, 257] });
  // @ts-expect-error roiInputSize is 'smallest', [height, width], a number or null
  detector.track(video, () => {}, { roi: true, roiInputSize: 'largest' });
  // @ts-expect-error backend is 'webgpu' or 'wasm'
  await createPoseDetector(url, { backend: 'webgl' });
  return () => tracker.stop();
}

export function describe(err: unknown): string {
  if (err instanceof RegistryError) return `registry said ${err.status}`;
  if (err instanceof IntegrityError) return `a file did not match its sha256: ${err.message}`;
  return err instanceof EdgewardError ? err.name : String(err);
}

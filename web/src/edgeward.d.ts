// Types of @edgeward/runtime's public API (edgeward.js), written by hand. web/test/types.test.js checks
// that this file declares exactly what edgeward.js exports; web/examples/typed/ is checked against it
// by `npm run typecheck`, and tests/browser/test_runtime_npm.py checks it from the packed tarball.

// ---- Results --------------------------------------------------------------------------------------

/** A keypoint in the source image's pixels; `name` is the subject's own side (mirroring flips only x). */
export interface Keypoint { name: string; x: number; y: number; score: number }
export interface Pose { score: number; keypoints: Keypoint[] }
/** [x1, y1, x2, y2] in the source image's pixels. */
export type Box = [number, number, number, number];
export interface Detection { label: string; class_id: number; score: number; box: Box }
export interface ClassScore { label: string; class_id: number; score: number }

/** A validated manifest.json (manifest.schema.json has every field). */
export interface Manifest {
  name: string;
  version: string;
  task: 'pose' | 'detect' | 'classify' | 'features' | 'tensor';
  /** Keys: a variant, or '<variant>@<H>x<W>': the same network converted for a [1, H, W, 3] input (the inputSize option). */
  files: Partial<Record<Variant | SizedVariant, { path: string; sha256: string; bytes: number; report?: { target?: string | null; [field: string]: unknown } | null }>>;
  inputs: { name: string; dtype: string; shape: (number | null)[]; layout?: string }[];
  outputs: { name: string; dtype?: string; shape: (number | null)[] }[];
  preprocess?: { size: [number, number]; [field: string]: unknown } | null;
  postprocess?: { kind: string; [field: string]: unknown } | null;
  labels?: string[] | null;
  [field: string]: unknown;
}

// ---- Loading --------------------------------------------------------------------------------------

/** What the runtime takes as an image: <video>, <img>, <canvas>, ImageBitmap, VideoFrame, Blob / File... */
export type ImageSource = ImageBitmapSource | VideoFrame;
export type Variant = 'fp32' | 'fp16' | 'int8' | 'int8-wasm' | 'int8-kernels';
/** A model file for another input size: '<variant>@<H>x<W>', e.g. 'fp32@257x257'. */
export type SizedVariant = `${Variant}@${number}x${number}`;
/** A model input size: [height, width], or one number for a square. */
export type InputSize = [number, number] | number;

export interface LoadProgress { file: string; loaded: number; total: number; cached?: boolean }

/** Options of createPoseDetector, createDetector, createClassifier, createFeatureClassifier, loadModel. */
export interface LoadOptions {
  /** Default: WebGPU when an adapter exists → Edgeward's own WASM kernels where the package has an
   *  int8-kernels variant (one thread, relaxed SIMD) → onnxruntime-web WASM with threads (cross-origin
   *  isolated) → WASM. 'kernels' asks for the kernels (where they cannot run: the rest of that chain, the
   *  reason in `backend.reason`); 'wasm' and 'webgpu' for onnxruntime-web's. */
  backend?: 'webgpu' | 'wasm' | 'kernels';
  /** WASM threads; default min(4, cores) when crossOriginIsolated, else 1. */
  numThreads?: number;
  /** Default: the variant the package made for the backend in use (its report's target, e.g. 'int8-wasm' on
   *  WASM), else the first of fp32, fp16, int8, int8-wasm the package has. */
  variant?: Variant;
  /**
   * Where onnxruntime-web's files are: a folder URL (absolute or relative to the page) holding its dist
   * files, or 'bundled' to import the onnxruntime-web peer dependency through your bundler (Vite:
   * set `worker: {format: 'es'}`). Default '/vendor/onnxruntime-web/' on the page's origin (`edgeward serve`).
   */
  wasmPaths?: string | URL;
  /** An Edgeward registry: the first argument is then a spec 'NAME@RANGE' it resolves (resolvePackage). */
  registry?: string | URL;
  /** The worker's script; default the runtime's worker.js (bundlers pick it up). */
  workerUrl?: string | URL;
  onProgress?: (progress: LoadProgress) => void;
  /** Ask navigator.storage.persist() so cached models survive storage pressure (default true). */
  persistStorage?: boolean;
}

/** Documented defaults of LoadOptions. */
export declare const env: Readonly<Required<Pick<LoadOptions, 'persistStorage'>> & Omit<LoadOptions, 'persistStorage'>>;

export interface BackendInfo { name: 'webgpu' | 'wasm' | 'kernels'; threads: number; reason: string | null; variant: Variant }
export interface CacheInfo {
  from: 'network' | 'cache' | 'memory';
  stored: 'cache' | 'memory';
  persisted: boolean | null;
  warning: string | null;
}

/** What every handle has. */
export interface ModelHandle {
  readonly manifest: Manifest;
  readonly backend: BackendInfo;
  /**
   * Inside the worker: loadMs from the request to ready; `at`: when each step ended, in ms after the
   * request (they overlap): manifest fetched, runtime (onnxruntime-web imported and its WASM started),
   * model (its bytes in hand: cache or download), session created.
   */
  readonly loadTimings: {
    loadMs: number; warmupMs: number;
    at: { manifest?: number; runtime?: number; model?: number; session?: number };
  };
  readonly cache: CacheInfo;
  /** Of the last call: preprocessMs, inferenceMs, decodeMs (run(): prepareMs, inferenceMs). */
  lastTimings: Record<string, number> | null;
  readonly disposed: boolean;
  dispose(): Promise<void>;
}

// ---- Tasks ----------------------------------------------------------------------------------------

/** [x0, y0, x1, y1]: a crop in integer image pixels, x0 and y0 even. */
export type Roi = [number, number, number, number];
export interface PoseOptions {
  maxPoses?: number;
  scoreThreshold?: number;
  nmsRadius?: number;
  flipHorizontal?: boolean;
  roi?: Roi | null;
  /** null: the package's own pre-processing; 'tfjs-posenet': @tensorflow-models/posenet's resize. */
  resize?: 'tfjs-posenet' | null;
  /** null: the package's own input size; else one of the sizes it carries (inputSizes(manifest)), e.g. [257, 257]. */
  inputSize?: InputSize | null;
}
export interface DetectOptions { scoreThreshold?: number; iouThreshold?: number; maxDetections?: number }
export interface ClassifyOptions { topK?: number }
export interface RoiOptions { minScore?: number; margin?: number; minFraction?: number; flipped?: boolean }

export interface TrackOptions {
  /** Most frames in flight (default 2; 1: lowest latency). */
  inFlight?: number;
  start?: 'just-in-time' | 'eager';
  /** Default: the loop stops and the error is logged. */
  onError?: (error: unknown) => void;
  /** Hand each result the frame it was computed on (TrackedFrame.image), to draw the result over it. */
  keepFrame?: boolean;
}
export interface TrackedFrame {
  width: number;
  height: number;
  roi: Roi | null;
  /** [height, width] of the model input this result ran at. */
  inputSize?: [number, number];
  timings: Record<string, number>;
  /** Capture → result. */
  latencyMs: number;
  /** With keepFrame: the picture this result was computed on; valid only during the callback (closed after it). */
  image?: VideoFrame | ImageBitmap;
}
export interface Tracker { stop(): void; readonly stats: { frames: number; dropped: number } }

export interface PoseDetector extends ModelHandle {
  estimatePoses(source: ImageSource, options?: PoseOptions): Promise<Pose[]>;
  /**
   * `roi` (video only): estimate each frame on a crop around the previous frame's pose; `roiInputSize`
   * (with roi): the input size of those crops, 'smallest' the package carries or [H, W] (default null: the frames' own).
   */
  track(video: HTMLVideoElement, onResult: (poses: Pose[], frame: TrackedFrame) => void,
    options?: Omit<PoseOptions, 'roi'> & TrackOptions & { roi?: boolean | RoiOptions; roiInputSize?: 'smallest' | InputSize | null }): Tracker;
}
export interface Detector extends ModelHandle {
  detect(source: ImageSource, options?: DetectOptions): Promise<Detection[]>;
  track(video: HTMLVideoElement, onResult: (detections: Detection[], frame: TrackedFrame) => void,
    options?: DetectOptions & TrackOptions): Tracker;
}
export interface Classifier extends ModelHandle {
  classify(source: ImageSource, options?: ClassifyOptions): Promise<ClassScore[]>;
  /** The penultimate features. */
  embed(source: ImageSource): Promise<Float32Array>;
  track(video: HTMLVideoElement, onResult: (classes: ClassScore[], frame: TrackedFrame) => void,
    options?: ClassifyOptions & TrackOptions): Tracker;
}
export interface FeatureClassifier extends ModelHandle {
  classify(features: ArrayLike<number>, options?: ClassifyOptions): Promise<ClassScore[]>;
}
export type TensorData = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | ArrayLike<number>;
export interface TensorIn { data: TensorData; dims?: number[] }
export interface TensorOut { data: TensorData; dims: number[]; type: string }
export interface TensorModel extends ModelHandle {
  run(feeds: Record<string, TensorIn>): Promise<Record<string, TensorOut>>;
}

/** A package folder URL ('/models/NAME/latest/'), or 'NAME@RANGE' with the `registry` option. */
export type PackageRef = string | URL;
export declare function createPoseDetector(packageUrl: PackageRef, options?: LoadOptions): Promise<PoseDetector>;
export declare function createDetector(packageUrl: PackageRef, options?: LoadOptions): Promise<Detector>;
export declare function createClassifier(packageUrl: PackageRef, options?: LoadOptions): Promise<Classifier>;
export declare function createFeatureClassifier(packageUrl: PackageRef, options?: LoadOptions): Promise<FeatureClassifier>;
export declare function loadModel(packageUrl: PackageRef, options?: LoadOptions): Promise<TensorModel>;

export interface ResolvedPackage {
  name: string;
  /** The highest published version in the range. */
  version: string;
  /** Absolute URL of the package folder, ending in '/'. */
  url: string;
  manifest: Manifest;
  manifestSha256: string;
}
/** 'NAME', 'NAME@^1', 'NAME@1.2.3', 'NAME@latest' → the registry's best version. */
export declare function resolvePackage(spec: string, registryUrl: string | URL,
  options?: { fetchImpl?: typeof fetch }): Promise<ResolvedPackage>;

export interface TaskInfo {
  name: string;
  defaults: Readonly<Record<string, unknown>>;
  factory: string;
  method: string;
  result: string;
  roi?: boolean;
  [field: string]: unknown;
}
export declare const TASKS: Readonly<Record<string, TaskInfo>>;
export declare const DEFAULT_POSE_OPTIONS: Readonly<Required<PoseOptions>>;
export declare const DEFAULT_DETECT_OPTIONS: Readonly<Required<DetectOptions>>;
export declare const DEFAULT_CLASSIFY_OPTIONS: Readonly<Required<ClassifyOptions> & { embedding: boolean }>;
export declare const DEFAULT_ROI_OPTIONS: Readonly<Required<RoiOptions>>;
/** The input sizes a package carries, [height, width] each: its preprocess.size first, then the others by descending area. */
export declare function inputSizes(manifest: Pick<Manifest, 'preprocess' | 'files'>): [number, number][];
export declare function nextRoi(poses: Pose[], width: number, height: number, inputSize: [number, number],
  options?: RoiOptions): Roi | null;

// ---- Frames, video, drawing, cache ----------------------------------------------------------------

export declare function toFrame(source: ImageSource): Promise<VideoFrame | ImageBitmap>;
export declare function toImageBitmap(source: ImageSource): Promise<ImageBitmap>;
export declare const DEFAULT_IN_FLIGHT: number;
export declare const START_MODES: readonly ['just-in-time', 'eager'];
export interface VideoLoopOptions {
  run: () => unknown;
  ready?: () => boolean;
  inFlight?: number;
  start?: 'just-in-time' | 'eager';
  onDrop?: () => void;
  onError?: (error: unknown) => void;
  now?: () => number;
}
export declare function runVideoLoop(
  video: Pick<HTMLVideoElement, 'readyState' | 'videoWidth'> & { requestVideoFrameCallback?: (fn: () => void) => number },
  options: VideoLoopOptions,
): { stop(): void; readonly inFlight: number; readonly estimates: { serviceMs: number | null; frameIntervalMs: number | null } };

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
export declare function drawPoses(ctx: Context2D, poses: Pose[], manifest: Pick<Manifest, 'postprocess'>,
  options?: { minScore?: number; color?: string; lineWidth?: number; radius?: number }): void;
export declare function drawDetections(ctx: Context2D, detections: Detection[],
  options?: { minScore?: number; lineWidth?: number; fontSize?: number | null; color?: string | null }): void;
export declare function detectionColor(classId: number): string;

export interface CachedModelFile {
  sha256: string;
  file: string | null;
  url: string | null;
  bytes: number | null;
  cachedAt: string | null;
  storage: 'cache' | 'memory';
}
export declare function listCachedModels(options?: { storage?: CacheStorage }): Promise<CachedModelFile[]>;
/** Delete all cached model files, or those whose sha256 is listed; resolves how many were removed. */
export declare function clearCachedModels(sha256s?: string[] | null, options?: { storage?: CacheStorage }): Promise<number>;
export declare function requestPersistentStorage(): Promise<boolean | null>;

// ---- Training -------------------------------------------------------------------------------------

export declare const POSE_KEYPOINTS: readonly string[];
export declare const POSE_FEATURE_DIM: number;
export declare function poseFeatures(pose: Pose,
  options?: { threshold?: number; flipHorizontal?: boolean; mirrored?: boolean }): Float32Array;

/** `variant` defaults to 'fp32' here (features as Python's trainers and federated devices compute them). */
export interface TrainerOptions extends LoadOptions {
  labels?: string[];
  k?: number;
  dim?: number | null;
}
export interface ExportOptions { name: string; version?: string; data?: string; license?: string; features?: 'embedding' | 'pose' | 'raw' }
export interface ExportedPackage { manifest: Manifest; files: Record<string, Uint8Array> }
export interface TrainedPackage extends ExportedPackage {
  /** A .tar of the folder NAME-VERSION/ (manifest.json and the files). */
  archive: Blob;
  archiveName: string;
  publish(registryUrl: string | URL, token: string): Promise<object>;
}
export interface Trainer {
  readonly manifest: Manifest | null;
  readonly backend: BackendInfo | null;
  readonly cache: CacheInfo | null;
  addExample(source: ImageSource | ArrayLike<number>, label: string, options?: { mirrored?: boolean }): Promise<{ exampleId: number; counts: Record<string, number> }>;
  removeExample(exampleId: number): Promise<unknown>;
  counts(): Promise<Record<string, number>>;
  renameClass(from: string, to: string): Promise<Record<string, number>>;
  removeClass(label: string): Promise<{ counts: Record<string, number>; trained: boolean }>;
  predict(source: ImageSource | ArrayLike<number>, options?: { topK?: number; mirrored?: boolean }): Promise<ClassScore[]>;
  predictPose(source: ImageSource, options?: { topK?: number; mirrored?: boolean }): Promise<{
    pose: Pose | null; features: Float32Array | null; reason?: string; classes: ClassScore[]; trained: boolean;
    timings: Record<string, number>;
  }>;
  train(options?: Record<string, unknown> & { onEpochEnd?: (record: any) => void }): Promise<any>;
  cancel(): void;
  evaluate(): Promise<any>;
  model(): Promise<any>;
  exportDataset(): Promise<any>;
  importDataset(dataset: any): Promise<unknown>;
  export(options: ExportOptions): Promise<TrainedPackage>;
  save(name: string, options?: { version?: string }): Promise<unknown>;
  restore(pkg: ExportedPackage, report?: unknown, where?: string): Promise<unknown>;
  dispose(): void;
}
export declare const createTrainer: {
  (baseUrl?: PackageRef | null, options?: TrainerOptions): Promise<Trainer>;
  open: typeof openTrainedModel;
};
export declare function openTrainedModel(name: string, options?: TrainerOptions): Promise<Trainer>;
export interface SavedSummary {
  name: string; version: string; kind: string; features: string; labels: string[]; base: string | null;
  baseUrl: string | null; examples: number; testAccuracy: number | null; bytes: number; savedAt: string;
}
export declare function listTrainedModels(): Promise<SavedSummary[]>;
export declare function deleteTrainedModel(name: string): Promise<boolean>;
export declare function publishPackage(pkg: ExportedPackage, registryUrl: string | URL, token: string,
  options?: { fetchImpl?: typeof fetch; onProgress?: (p: { file: string; uploaded: boolean }) => void }): Promise<any>;

// ---- Federated learning ---------------------------------------------------------------------------

export interface JoinOptions {
  examples?: any;
  seed?: number;
  clientName?: string;
  pollMs?: number;
  retry?: { baseMs?: number; maxMs?: number };
  workerUrl?: string | URL;
}
export declare class FederatedClient {
  private constructor();
  readonly clientId: string;
  lastStatus: any;
  setExamples(examples: any): Promise<any>;
  runRound(options?: { timeoutMs?: number; waitForNext?: boolean }): Promise<any>;
  run(rounds?: number, options?: { timeoutMs?: number; waitForNext?: boolean }): Promise<any[]>;
  prepare(options?: object): Promise<any>;
  send(): Promise<any>;
  flushed(timeoutMs?: number): Promise<any>;
  pullLatest(): Promise<any>;
  status(): Promise<any>;
  dispose(): void;
}
export declare function joinFederatedTask(serverUrl: string | URL, task: string, options?: JoinOptions): Promise<FederatedClient>;

// ---- Errors (src/edgeward/errors.py's names; a worker's error arrives as the same class) ----------

export declare class EdgewardError extends Error { constructor(message: string, options?: { cause?: unknown }) }
export declare class ConversionError extends EdgewardError {}
export declare class ModelFormatError extends ConversionError {}
export declare class VerificationError extends ConversionError {}
export declare class ManifestError extends EdgewardError {}
export declare class IntegrityError extends EdgewardError {}
export declare class PackageNotFoundError extends EdgewardError {}
export declare class TaskError extends EdgewardError {}
export declare class ImageError extends EdgewardError {}
export declare class ToolMissingError extends EdgewardError {}
export declare class BrowserError extends EdgewardError {}
export declare class DownloadError extends EdgewardError {}
export declare class WorkerError extends EdgewardError {}
export declare class RegistryError extends EdgewardError { constructor(message: string, status: number); status: number }
export declare class FederatedError extends EdgewardError {}
export declare class CoordinatorUnavailableError extends FederatedError {}
export declare class UpdateRefusedError extends FederatedError {
  constructor(message: string, options?: { cause?: unknown; code?: string });
  code: string | null;
}
export declare class InvalidUpdateError extends UpdateRefusedError {}
export declare class UpdateTooLargeError extends UpdateRefusedError {}
export declare class UpdateConflictError extends UpdateRefusedError {}
export declare class ClientTokenError extends UpdateRefusedError {}
export declare class NotSampledError extends UpdateRefusedError {}
export declare class RateLimitedError extends UpdateRefusedError {}

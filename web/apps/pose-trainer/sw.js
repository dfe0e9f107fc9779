// Service worker of the pose trainer: the shared offline app shell (kit/sw-shell.js says what it stores
// and how); cache edgeward-pose-trainer-<id>, one per install. The page asks it to keep example-poses.json too (kit/offline.js).
self.EDGEWARD_APP = { name: 'pose-trainer', defaultModelManifest: '/models/posenet/latest/manifest.json' };
importScripts('/apps/kit/sw-shell.js');

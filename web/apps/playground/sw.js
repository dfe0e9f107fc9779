// Service worker of the pose playground: the shared offline app shell (kit/sw-shell.js says what it
// stores and how). Its cache is edgeward-playground-<id>, one per install (kit/ort-sw.js reads the edgeward-* caches).
self.EDGEWARD_APP = { name: 'playground', defaultModelManifest: '/models/posenet/latest/manifest.json' };
importScripts('/apps/kit/sw-shell.js');

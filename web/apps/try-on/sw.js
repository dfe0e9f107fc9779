// Service worker of the virtual try-on: the shared offline app shell (kit/sw-shell.js says what it
// stores and how); cache edgeward-try-on-<id>, one per install.
self.EDGEWARD_APP = { name: 'try-on', defaultModelManifest: '/models/posenet/latest/manifest.json' };
importScripts('/apps/kit/sw-shell.js');

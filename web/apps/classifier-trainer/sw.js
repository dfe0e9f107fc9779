// Service worker of the classifier trainer: the shared offline app shell (kit/sw-shell.js says what
// it stores and how); cache edgeward-classifier-trainer-<id>, one per install.
self.EDGEWARD_APP = { name: 'classifier-trainer', defaultModelManifest: '/models/efficientnet-lite0/latest/manifest.json' };
importScripts('/apps/kit/sw-shell.js');

// What the offline apps' pages share about their service workers (the workers themselves: sw-shell.js
// and ort-sw.js in this folder).

/**
 * Resolves once `registration`'s worker is active (a first install takes a moment).
 * @param {ServiceWorkerRegistration} registration
 * @returns {Promise<void>}
 */
export function activated(registration) {
  const worker = registration.active || registration.waiting || registration.installing;
  if (!worker || worker.state === 'activated') return Promise.resolve();
  return new Promise((resolve, reject) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
      if (worker.state === 'redundant') reject(new Error(`${worker.scriptURL} failed to install`));
    });
  });
}

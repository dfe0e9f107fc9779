// A button that acts while it is held — "hold to record": pointer down … up (captured, so sliding off
// still ends on release), or Space / Enter down … up from the keyboard; losing focus ends it too. The
// button carries aria-pressed while held. (The classifier trainer has its own copy in classes.js.)

const HOLD_KEYS = new Set([' ', 'Enter']);

/**
 * @param {HTMLButtonElement} button
 * @param {{start: () => boolean, stop: () => void, idle: string, held: string}} hooks
 *   start(): false refuses the hold (it has said why); idle / held: the button's text in each state
 */
export function holdButton(button, { start, stop, idle, held }) {
  let holding = false;
  const begin = () => {
    if (holding || !start()) return;
    holding = true;
    button.setAttribute('aria-pressed', 'true');
    button.textContent = held;
  };
  const end = () => {
    if (!holding) return;
    holding = false;
    button.setAttribute('aria-pressed', 'false');
    button.textContent = idle;
    stop();
  };
  button.textContent = idle;
  button.setAttribute('aria-pressed', 'false');
  button.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault(); // no text selection or focus-scroll on a long press
    button.focus();
    button.setPointerCapture?.(e.pointerId);
    begin();
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture', 'blur']) button.addEventListener(type, end);
  button.addEventListener('keydown', (e) => {
    if (!HOLD_KEYS.has(e.key)) return;
    e.preventDefault(); // a held key must not also "click" (Enter repeats clicks)
    if (!e.repeat) begin();
  });
  button.addEventListener('keyup', (e) => {
    if (!HOLD_KEYS.has(e.key)) return;
    e.preventDefault();
    end();
  });
  button.addEventListener('contextmenu', (e) => e.preventDefault()); // a long touch is a hold, not a menu
}

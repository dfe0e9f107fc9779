// The play panel: the game's settings (target sequence, hold time, minimum confidence), Play / Stop and
// Reset, and the display — the target, the hold timer, the points and a "+10" on each award. The rules
// are game.js (pure); this file only reads the fields and shows the game's state.
// Ids: #sequence #hold-seconds #min-confidence #play #reset-points #target #hold #hold-text #points #award.
// The sequence follows the poses ("all of them, in order") until the user edits it.

import { $ } from '/apps/kit/page.js';
import { checkHoldSeconds, parseSequence, PoseGame } from './game.js';

export class PlayPanel {
  /**
   * @param {{state: any, poses: () => string[], showError: (err: any) => void, clearError: () => void}} host
   *   state: the page's test hook (playing, game, awards)
   */
  constructor(host) {
    this.host = host;
    /** @type {PoseGame | null} */ this.game = null;
    this.flashTimer = null;
    this.auto = true; // #sequence is every pose, in order, until edited
    $('play').addEventListener('click', () => (this.game ? this.stop() : this.start()));
    $('reset-points').addEventListener('click', () => this.reset());
    $('sequence').addEventListener('input', () => { this.auto = false; });
    for (const id of ['sequence', 'hold-seconds', 'min-confidence']) $(id).addEventListener('change', () => this.settingsChanged());
    this.show(null);
  }

  /** A new game from the fields, carrying `carry`'s score over; a bad field is a RangeError naming it. */
  newGame(carry = null) {
    const percent = $('min-confidence').value.trim();
    if (percent === '' || !(Number(percent) > 0 && Number(percent) <= 100)) {
      throw new RangeError(`Minimum confidence must be a percentage above 0 and at most 100, got '${percent}'`);
    }
    const game = new PoseGame({
      sequence: parseSequence($('sequence').value, this.host.poses()),
      holdSeconds: checkHoldSeconds($('hold-seconds').value),
      minScore: Number(percent) / 100,
    });
    if (carry) Object.assign(game, { points: carry.points, holds: carry.holds });
    return game;
  }

  start() {
    try {
      this.game = this.newGame();
    } catch (err) {
      this.host.showError(err);
      return;
    }
    this.host.clearError();
    this.host.state.playing = true;
    this.host.state.awards = [];
    $('play').textContent = 'Stop playing';
    $('play').setAttribute('aria-pressed', 'true');
    this.show(this.game.state(null));
  }

  stop() {
    this.game = null;
    this.host.state.playing = false;
    $('play').textContent = 'Play';
    $('play').setAttribute('aria-pressed', 'false');
    this.show(null);
  }

  /** Points back to 0, the sequence from its start. */
  reset() {
    if (!this.game) return this.show(null);
    this.start();
  }

  /** A field changed while playing: the game goes on with the new settings (and its points). */
  settingsChanged() {
    if (!this.game) return;
    try {
      this.game = this.newGame(this.game);
      this.host.clearError();
      this.show(this.game.state(null));
    } catch (err) {
      this.host.showError(err);
    }
  }

  /** The poses changed (added, removed, loaded, renamed `from` → `to`): the sequence follows. */
  posesChanged(names, renamed = null) {
    if (this.auto) {
      $('sequence').value = names.join(', ');
    } else if (renamed) {
      $('sequence').value = $('sequence').value.split(',').map((s) => (s.trim() === renamed.from ? renamed.to : s.trim())).join(', ');
    }
    if (!this.game) return;
    try {
      this.game = this.newGame(this.game);
      this.show(this.game.state(null));
    } catch (err) { // a target pose was removed
      this.stop();
      this.host.showError(err);
    }
  }

  /**
   * One video frame's best class (null: no confident pose) at its capture time: the game moves on.
   * @param {{label: string, score: number} | null} best @param {number} at
   * @returns {boolean} whether the frame showed the target (the skeleton's colour)
   */
  frame(best, at) {
    if (!this.game) return false;
    const s = this.game.update(best, at);
    if (s.award) {
      this.host.state.awards.push(s.award);
      this.flash(`+${s.award.points}`);
    }
    this.show(s);
    return s.matching;
  }

  /** @param {import('./game.js').GameState | null} s */
  show(s) {
    const { state } = this.host;
    state.game = s && { target: s.target, step: s.step, points: s.points, holds: s.holds, heldMs: s.heldMs, matching: s.matching };
    const holdMs = this.game?.holdMs ?? 0;
    $('target').textContent = s ? s.target : '–';
    $('target').title = s ? `pose ${s.step + 1} of ${this.game.sequence.length} in the sequence` : '';
    $('hold').value = s ? s.progress : 0;
    $('hold-text').textContent = s ? `${(s.heldMs / 1000).toFixed(1)} of ${(holdMs / 1000).toFixed(1)} s` : 'press Play';
    $('points').textContent = String(s?.points ?? 0);
    $('hud').classList.toggle('matching', Boolean(s?.matching));
  }

  flash(text) {
    const el = $('award');
    el.textContent = text;
    el.hidden = false;
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => { el.hidden = true; }, 1200);
  }
}

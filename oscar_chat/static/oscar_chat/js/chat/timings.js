/* oscar_chat: every timing of the conversation, written once (widget and admin). */
export const TIMINGS = Object.freeze({
  typingThrottle: 3000, // at most one "typing" to the API per this many ms
  typingIdle: 4000, // "stopped typing" after this long without a keystroke
  typingShown: 8000, // another's "typing…" goes after this long without news
  markReadDelay: 50, // coalesces the reads of a burst of messages
  resendFirst: 2000, // the outbox tries again after this, doubling…
  resendMax: 30000, // …up to this
  connectionNotice: 2500, // a reconnect shorter than this is not announced
  groupGap: 5 * 60 * 1000, // messages of one sender closer than this form a group
});

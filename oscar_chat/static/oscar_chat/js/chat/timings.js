/* oscar_chat: every timing of the conversation, written once (widget and admin), in ms. */
export const TIMINGS = Object.freeze({
  typingThrottle: 3000, // one "typing" to the API at most per
  typingIdle: 4000, // "stopped typing" after no keystroke for
  typingShown: 8000, // another's "typing…" without news for
  markReadDelay: 50, // coalesces a burst's reads
  resendFirst: 2000, // the outbox's retry, doubling…
  resendMax: 30000, // …up to
  connectionNotice: 2500, // a shorter reconnect is not announced
  groupGap: 300000, // one sender's messages closer than this form a group
});

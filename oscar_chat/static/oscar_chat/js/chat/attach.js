/* oscar_chat: files into a conversation (widget and admin): pick, paste and drop, each file
   checked against the store's limits first and refused in words, else sent through the
   Conversation (its upload shows progress and keeps the place in the outbox). */
import { _, fmt, formatSize } from "./ui.js";

/**
 * @typedef {{maxUploadSize: number, fileTypes: string[], imageTypes: string[]}} Limits
 */

/** Why the file cannot be sent, in words, or null. @param {File} file @param {Limits} limits */
export function refusal(file, limits) {
  if (file.size > limits.maxUploadSize)
    return fmt(_("“%(name)s” is %(size)s; files may be at most %(limit)s."), { name: file.name, size: formatSize(file.size), limit: formatSize(limits.maxUploadSize) });
  if (!limits.fileTypes.includes(file.type))
    return fmt(_("“%(name)s” cannot be sent: images (JPEG, PNG, GIF, WebP), PDF, text and ZIP files can."), { name: file.name });
  return null;
}

/** IMAGE for the image types the store shows inline, else FILE. @param {File} file @param {Limits} limits */
export const messageTypeFor = (file, limits) => (file.type.startsWith("image/") && limits.imageTypes.includes(file.type) ? "IMAGE" : "FILE");

/**
 * Wires a composer for files: ``fileInput`` (opened by ``pick``), paste into ``input``, drop on
 * ``dropZone``. ``send(file, messageType)`` sends one; ``report(refusals)`` shows what was refused
 * ([] clears it). Returns ``attach(files)`` and a function that unwires it all.
 * @param {{limits: Limits, input: HTMLElement, dropZone: HTMLElement, fileInput: HTMLInputElement,
 *   pick?: HTMLElement | null, send: (file: File, type: string) => void, report: (refused: string[]) => void}} options
 */
export function wireAttachments(options) {
  const { limits, input, dropZone, fileInput, pick, send, report } = options;
  fileInput.setAttribute("accept", limits.fileTypes.join(","));

  /** @param {FileList | File[]} files */
  function attach(files) {
    const refused = [];
    for (const file of Array.from(files)) {
      const why = refusal(file, limits);
      if (why) refused.push(why);
      else send(file, messageTypeFor(file, limits));
    }
    report(refused);
  }
  const onPick = () => fileInput.click();
  const onChange = () => {
    attach(fileInput.files || []);
    fileInput.value = "";
  };
  /** @param {ClipboardEvent} event */
  const onPaste = (event) => {
    const files = event.clipboardData ? Array.from(event.clipboardData.files) : [];
    if (files.length) {
      event.preventDefault();
      attach(files);
    }
  };
  /** @param {DragEvent} event */
  const onDragOver = (event) => {
    if (!event.dataTransfer || !Array.from(event.dataTransfer.types || []).includes("Files")) return;
    event.preventDefault();
    dropZone.classList.add("oc-dropping");
  };
  const onDragLeave = () => dropZone.classList.remove("oc-dropping");
  /** @param {DragEvent} event */
  const onDrop = (event) => {
    dropZone.classList.remove("oc-dropping");
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    attach(event.dataTransfer.files);
  };
  if (pick) pick.addEventListener("click", onPick);
  fileInput.addEventListener("change", onChange);
  input.addEventListener("paste", onPaste);
  dropZone.addEventListener("dragover", onDragOver);
  dropZone.addEventListener("dragleave", onDragLeave);
  dropZone.addEventListener("drop", onDrop);
  return {
    attach,
    unwire() {
      if (pick) pick.removeEventListener("click", onPick);
      fileInput.removeEventListener("change", onChange);
      input.removeEventListener("paste", onPaste);
      dropZone.removeEventListener("dragover", onDragOver);
      dropZone.removeEventListener("dragleave", onDragLeave);
      dropZone.removeEventListener("drop", onDrop);
    },
  };
}

/* oscar_chat: files into a conversation (widget and admin): pick, paste, drop; refused in words
   before any upload when over the store's limits. */
import { _, fmt, formatSize } from "./ui.js";

// limits: {maxUploadSize, fileTypes, imageTypes}
export function refusal(file, limits) {
  if (file.size > limits.maxUploadSize)
    return fmt(_("“%(name)s” is %(size)s; files may be at most %(limit)s."), { name: file.name, size: formatSize(file.size), limit: formatSize(limits.maxUploadSize) });
  if (!limits.fileTypes.includes(file.type))
    return fmt(_("“%(name)s” cannot be sent: images (JPEG, PNG, GIF, WebP), PDF, text and ZIP files can."), { name: file.name });
  return null;
}

export const messageTypeFor = (file, limits) => (file.type.startsWith("image/") && limits.imageTypes.includes(file.type) ? "IMAGE" : "FILE");

/** report([]) clears the refusals. Returns attach(files). @param {ChatAttachOptions} o */
export function wireAttachments(o) {
  const attach = (files) => {
    const refused = [];
    for (const file of Array.from(files)) {
      const why = refusal(file, o.limits);
      if (why) refused.push(why);
      else o.send(file, messageTypeFor(file, o.limits));
    }
    o.report(refused);
  };
  const zone = o.dropZone;
  o.fileInput.setAttribute("accept", o.limits.fileTypes.join(","));
  if (o.pick) o.pick.addEventListener("click", () => o.fileInput.click());
  o.fileInput.addEventListener("change", () => {
    attach(o.fileInput.files || []);
    o.fileInput.value = "";
  });
  o.input.addEventListener("paste", (event) => {
    const files = event.clipboardData ? Array.from(event.clipboardData.files) : [];
    if (files.length) {
      event.preventDefault();
      attach(files);
    }
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("oc-dropping");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("oc-dropping"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("oc-dropping");
    if (event.dataTransfer) attach(event.dataTransfer.files);
  });
  return attach;
}

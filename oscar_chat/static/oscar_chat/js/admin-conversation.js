/* oscar_chat admin: the conversation page, one room mounted by admin-room.js (the inbox mounts
   the same, room after room). */
import { mountRoom } from "./admin-room.js";

const OC = window.OscarChat || {};
const admin = OC.admin;

if (admin) {
  const live = admin.config.live ? admin.start() : null;
  mountRoom(document, { admin, config: admin.config, live });
  if (live) {
    live.connect();
    admin.refreshUnread();
  }
}

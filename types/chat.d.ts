// The conversation engine's shapes (js/chat/*), for `tsc --checkJs` only: browsers never load this.

/** A message as the API gives it (API.md), or one's own not yet sent (id null, client_id set). */
type ChatMessage = {
  id: number | null; room: number; sender: any; message: string; message_type: string;
  product?: any; order?: any; voucher?: any; attachment?: any; is_read?: boolean; created_at: string;
  client_id?: string | null;
};

type ChatStatus = "sent" | "sending" | "queued" | "failed";

/** One entry of a Conversation: a message and, for one's own, where its sending stands. */
type ChatItem = {
  key: string; message: ChatMessage; mine: boolean; status: ChatStatus; error?: any;
  data?: Record<string, any>; file?: File; progress?: number;
};

/** What a Conversation tells its views: "reset", "add", "move", "update", "progress", "remove", "seen", "room", "read", "typing", "older…". */
type ChatChange = { type: string; item?: ChatItem; index?: number; items?: ChatItem[] };

/** localStorage, or a stand-in in tests. */
type ChatStorage = { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };

type ChatConversationOptions = {
  client: any; roomId: number; me: any; isMine?: (m: ChatMessage) => boolean;
  isPeerReader?: (reader: any) => boolean; canRead?: () => boolean; storage?: ChatStorage | null;
  timings?: Record<string, number>;
};

/** What Conversation.send takes: a text, a file, or a card (product, and the agents' order and voucher). */
type ChatDraft = {
  message?: string; message_type?: string; product_id?: number; product?: any; file?: File;
  order_number?: string; order?: any; voucher_code?: string; voucher?: any;
};

/** Where a Thread draws, and what each message gets besides its own state. */
type ChatThreadView = {
  list: HTMLElement; scroller: HTMLElement; options?: (item: ChatItem) => Record<string, any>;
  wrap?: (node: HTMLElement, item: ChatItem) => HTMLElement; avatars?: boolean; onOlder?: (state: string) => void;
};

/** An error of the API client: status 0 for the network, the JSON body, Retry-After in seconds. */
type ChatApiError = Error & { status: number; body: any; retryAfter: number | null };

/** wireAttachments: the composer's pieces, the store's limits, where files go and refusals show. */
type ChatAttachOptions = {
  limits: any; input: HTMLElement; dropZone: HTMLElement; fileInput: HTMLInputElement; pick?: HTMLElement;
  send: (file: File, type: string) => void; report: (refused: string[]) => void;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a path parameter can be a row's id: anything else is answered without asking the database. */
export const isUuid = (id: string) => UUID.test(id);

import { MemoryStore } from '../../../lib/store/memory.store.js';
import { storeContract } from '../../../lib/testing/store.contract.js';

storeContract('MemoryStore', () => new MemoryStore(), { fencing: true });

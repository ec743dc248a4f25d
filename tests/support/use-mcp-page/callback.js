// The OAuth redirect URI's page, opened in the popup: use-mcp exchanges the code (PKCE verifier
// from this origin's localStorage), tells the opener and closes the popup.
import { onMcpAuthorization } from 'use-mcp';

onMcpAuthorization();
